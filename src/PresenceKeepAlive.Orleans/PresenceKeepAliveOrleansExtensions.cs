using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using PresenceKeepAlive;
using PresenceKeepAlive.Orleans;
using PresenceKeepAlive.Orleans.Client;
using PresenceKeepAlive.Orleans.Silo;
using PresenceKeepAlive.Registrations.Internal;

namespace Orleans.Hosting;

/// <summary>Adds PresenceKeepAlive's distributed mode to Orleans silos and clients.</summary>
public static class PresenceKeepAliveOrleansExtensions
{
    /// <summary>
    /// Makes this silo keep the presence sessions of the process's named presence registrations in the cluster: each session
    /// is a grain whose desired state is kept in the grain storage named <see cref="PresenceClusterOptions.StorageProviderName"/>
    /// (register one, and a reminder service), the silo that holds it refreshes it through the PresenceKeepAlive engine, and
    /// the silos share each app's budget. <see cref="IPresenceSessionManagerProvider"/> and the keyed
    /// <see cref="IPresenceSessionManager"/> of each registration then resolve to managers whose sessions live in the cluster.
    /// </summary>
    /// <remarks>
    /// Register the same registrations on every silo, with <c>services.AddPresenceSession(name, …)</c> or
    /// <c>services.AddPresenceRegistrations(section)</c>; the unnamed <c>AddPresenceSession(…)</c> is refused on start. Silos
    /// never sign anyone off when they stop or die (a hand-over), whatever the registrations' <c>SignOffOnStop</c> and
    /// <c>SignOffOnDispose</c>; disposing a session signs off as <see cref="PresenceClusterOptions.SignOffOnDispose"/> says.
    /// </remarks>
    /// <param name="builder">The silo builder.</param>
    /// <param name="configure">Configures the distributed mode; optional.</param>
    /// <returns>The silo builder.</returns>
    public static ISiloBuilder AddPresenceKeepAlive(this ISiloBuilder builder, Action<PresenceClusterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<PresenceClusterOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(ClusterEngine)))
        {
            return builder;
        }

        options
            .Validate(o => o.BucketCount is >= 1 and <= 4096, "PresenceClusterOptions.BucketCount must be between 1 and 4,096.")
            .Validate(o => o.FailoverAllowance >= TimeSpan.Zero, "PresenceClusterOptions.FailoverAllowance must not be negative.")
            .Validate(
                o => o.RefreshMargin is not { } margin || o.FailoverAllowance < margin,
                "PresenceClusterOptions.FailoverAllowance must be shorter than RefreshMargin: a session taken over is refreshed a margin less the allowance after its holder stopped, so with an allowance as long as the margin every take-over is sent at once as a state change. Raise RefreshMargin (90 s by default) or lower FailoverAllowance (30 s).")
            .Validate(o => o.MembershipReadInterval > TimeSpan.Zero && o.FenceAfter > o.MembershipReadInterval, "PresenceClusterOptions.MembershipReadInterval must be positive and FenceAfter longer than it (a silo reads the table a few times before it fences itself).")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ClusterDiagnostics>();
        services.AddSingleton<ClusterEngine>();
        services.AddSingleton<ClusterBudgetAgent>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ClusterEngine>());
        services.AddSingleton<IPostConfigureOptions<PresenceKeepAliveOptions>, ClusterRegistrationDefaults>();
        services.AddSingleton<IPresenceFrontEnd>(sp => new ClusterManagerProvider(
            () => sp.GetRequiredService<PresenceRegistry>().NamedRegistrations,
            sp.GetRequiredService<IGrainFactory>(),
            sp.GetRequiredService<IOptions<PresenceClusterOptions>>().Value.SignOffOnDispose,
            sp.GetRequiredService<TimeProvider>()));
        return builder;
    }

    /// <summary>
    /// Lets this Orleans client use the cluster's presence sessions: <see cref="IPresenceSessionManagerProvider"/> and the
    /// keyed <see cref="IPresenceSessionManager"/> of each registration named in <paramref name="configure"/> resolve to
    /// managers whose sessions live in the cluster. The client needs no Graph credentials: the silos send the requests.
    /// </summary>
    /// <param name="builder">The client builder.</param>
    /// <param name="configure">Names the registrations (the silos' named registrations) and sets the options.</param>
    /// <returns>The client builder.</returns>
    /// <exception cref="ArgumentException">No registration is named, or a name is not valid.</exception>
    public static IClientBuilder AddPresenceKeepAliveClient(this IClientBuilder builder, Action<PresenceClusterClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PresenceClusterClientOptions();
        configure(options);
        if (options.Registrations.Count == 0)
        {
            throw new ArgumentException("Name at least one presence registration: options.Registrations.Add(\"contoso\") (the silos' named registrations).", nameof(configure));
        }

        foreach (var name in options.Registrations)
        {
            PresenceKeepAlive.Orleans.Internal.SessionKeys.ValidateRegistration(name);
        }

        var names = options.Registrations.Distinct(StringComparer.Ordinal).ToArray();
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IPresenceFrontEnd>(sp => new ClusterManagerProvider(() => names, sp.GetRequiredService<IGrainFactory>(), options.SignOffOnDispose, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IPresenceSessionManagerProvider>(sp => sp.GetRequiredService<IPresenceFrontEnd>());
        foreach (var name in names)
        {
            services.AddKeyedSingleton<IPresenceSessionManager>(name, (sp, _) => sp.GetRequiredService<IPresenceFrontEnd>().GetManager(name));
        }

        return builder;
    }

    /// <summary>A client with one registration: <c>AddPresenceKeepAliveClient("contoso")</c>.</summary>
    /// <param name="builder">The client builder.</param>
    /// <param name="registrations">The silos' named registrations the client uses.</param>
    /// <returns>The client builder.</returns>
    public static IClientBuilder AddPresenceKeepAliveClient(this IClientBuilder builder, params string[] registrations)
    {
        ArgumentNullException.ThrowIfNull(registrations);
        return builder.AddPresenceKeepAliveClient(o =>
        {
            foreach (var name in registrations)
            {
                o.Registrations.Add(name);
            }
        });
    }
}
