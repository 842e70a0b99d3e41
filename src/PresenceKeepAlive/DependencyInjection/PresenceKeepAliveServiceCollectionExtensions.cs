using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PresenceKeepAlive;
using PresenceKeepAlive.DependencyInjection.Internal;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Hosting.Internal;
using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Options.Internal;
using PresenceKeepAlive.Protocol.Internal;
using PresenceKeepAlive.Registrations.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers PresenceKeepAlive in a service collection.</summary>
/// <remarks>
/// Time is read from the <see cref="TimeProvider"/> in the service collection: <see cref="TimeProvider.System"/> is added
/// only when none is registered, so one registered before or after (for example a <c>FakeTimeProvider</c> in tests) drives
/// every refresh, retry delay, timeout and the rate budget.
/// </remarks>
public static class PresenceKeepAliveServiceCollectionExtensions
{
    /// <summary>
    /// Registers the presence session manager (<see cref="IPresenceSessionManager"/>), its HTTP pipeline, and a hosted
    /// service that sets the configured <see cref="PresenceKeepAliveOptions.Sessions"/> on start and signs them off on
    /// stop, with options bound from <paramref name="configuration"/> (usually the <c>PresenceKeepAlive</c> section).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">
    /// The configuration section to bind <see cref="PresenceKeepAliveOptions"/> from. Durations may be written as
    /// <see cref="TimeSpan"/> text (<c>00:05:00</c>) or ISO 8601 (<c>PT5M</c>).
    /// </param>
    /// <returns>A builder to configure the registration further.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static PresenceKeepAliveBuilder AddPresenceSession(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        // Binding the same section twice would append its Sessions list twice.
        var firstBinding = GetOrAddMarker(services).TryAddBinding(configuration);
        if (firstBinding)
        {
            // Bound by hand so that durations may also be ISO 8601 (PT5M); reloads still reach IOptionsMonitor.
            services.AddSingleton<IOptionsChangeTokenSource<PresenceKeepAliveOptions>>(
                new ConfigurationChangeTokenSource<PresenceKeepAliveOptions>(Options.Options.DefaultName, configuration));
        }

        return AddPresenceSessionCore(services, firstBinding ? options => options.Configure(o => PresenceKeepAliveOptionsBinder.Bind(configuration, o)) : null);
    }

    /// <summary>
    /// Registers the presence session manager (<see cref="IPresenceSessionManager"/>), its HTTP pipeline, and a hosted
    /// service that sets the configured <see cref="PresenceKeepAliveOptions.Sessions"/> on start and signs them off on stop.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder to configure the registration further.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static PresenceKeepAliveBuilder AddPresenceSession(this IServiceCollection services, Action<PresenceKeepAliveOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return AddPresenceSessionCore(services, options => options.Configure(configure));
    }

    /// <summary>
    /// Registers the presence session manager (<see cref="IPresenceSessionManager"/>), its HTTP pipeline, and a hosted
    /// service that sets the configured <see cref="PresenceKeepAliveOptions.Sessions"/> on start and signs them off on stop,
    /// with options set elsewhere (for example <c>services.Configure&lt;PresenceKeepAliveOptions&gt;(...)</c>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>A builder to configure the registration further.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static PresenceKeepAliveBuilder AddPresenceSession(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return AddPresenceSessionCore(services, configure: null);
    }

    // Every overload lands here. Calling it again only adds the further configuration.
    private static PresenceKeepAliveBuilder AddPresenceSessionCore(IServiceCollection services, Action<OptionsBuilder<PresenceKeepAliveOptions>>? configure)
    {
        var options = services.AddOptions<PresenceKeepAliveOptions>();
        configure?.Invoke(options);

        var marker = GetOrAddMarker(services);
        var httpClientBuilder = services.AddHttpClient(PresenceHttpClient.Name);
        if (marker.ServicesAdded)
        {
            return new PresenceKeepAliveBuilder(services, httpClientBuilder);
        }

        marker.ServicesAdded = true;
        options.ValidateOnStart();
        AddSharedServices(services, unnamed: true);
        services.TryAddSingleton(sp =>
        {
            // One gate per app registration and tenant: the scheduler and every HTTP attempt of the named client pass it,
            // under the app's global cap across tenants (shared with named registrations of the same client id).
            var o = sp.GetRequiredService<IOptions<PresenceKeepAliveOptions>>().Value;
            var caps = sp.GetRequiredService<GlobalAppGates>();
            return new RequestGate(
                o.RateLimitPerWindow,
                o.RateLimitWindow,
                caps.Clock,
                caps.For(o.ClientId ?? string.Empty, o.GlobalRateLimitPerWindow, o.GlobalRateLimitWindow));
        });
        services.TryAddSingleton<PresenceHttpPolicy>();
        services.TryAddSingleton<IPresenceProtocol>(CreateProtocol);
        services.TryAddSingleton<IPresenceSessionManager, PresenceSessionManager>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PresenceKeepAliveHostedService>());

        PresenceHttpClient.Configure(httpClientBuilder);
        return new PresenceKeepAliveBuilder(services, httpClientBuilder);
    }

    /// <summary>
    /// Adds the named registration <paramref name="name"/> (one tenant, one or more app registrations, its own options,
    /// credentials, rate budgets and sessions) with options bound from <paramref name="configuration"/>, beside the
    /// unnamed <c>AddPresenceSession(configuration)</c> and any other named registration. Its manager comes from
    /// <see cref="IPresenceSessionManagerProvider.GetManager(string)"/> or as a keyed service
    /// (<c>[FromKeyedServices(name)] IPresenceSessionManager</c> or <see cref="IPresenceAppPool"/>); a hosted service sets its
    /// configured sessions on start and signs them off on stop.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The registration's name (for example the customer tenant's), in logs and metric tags.</param>
    /// <param name="configuration">The section to bind <see cref="PresenceKeepAliveOptions"/> from, with <c>Apps</c> for a pool.</param>
    /// <returns>A builder to configure the registration's HTTP client further.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    public static PresenceKeepAliveBuilder AddPresenceSession(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configuration);
        if (GetOrAddNames(services).TryAddBinding(name, configuration))
        {
            services.AddOptions<PresenceKeepAliveOptions>(name).Configure(o => PresenceKeepAliveOptionsBinder.Bind(configuration, o));
        }

        return AddNamedCore(services, name);
    }

    /// <summary>
    /// Adds the named registration <paramref name="name"/> with options set by <paramref name="configure"/>; see
    /// <see cref="AddPresenceSession(IServiceCollection, string, IConfiguration)"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The registration's name, in logs and metric tags.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder to configure the registration's HTTP client further.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    public static PresenceKeepAliveBuilder AddPresenceSession(this IServiceCollection services, string name, Action<PresenceKeepAliveOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PresenceKeepAliveOptions>(name).Configure(configure);
        return AddNamedCore(services, name);
    }

    /// <summary>
    /// Adds one named registration for each entry under <c>Tenants</c> of <paramref name="configuration"/>, named by its key.
    /// The section's other settings (for example a multi-tenant app's <c>ClientId</c> and credential, or <c>BaseUrl</c>)
    /// are every tenant's defaults; each tenant's entry overrides them and lists its own <c>TenantId</c>, <c>Sessions</c>
    /// and, for a pool of app registrations, <c>Apps</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section, for example <c>PresenceKeepAlive</c>.</param>
    /// <param name="configure">
    /// Called with each registration's name and builder, for example to add a handler to its HTTP client; or <see langword="null"/>.
    /// </param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The section lists no tenants.</exception>
    public static IServiceCollection AddPresenceRegistrations(this IServiceCollection services, IConfiguration configuration, Action<string, PresenceKeepAliveBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var tenants = configuration.GetSection(TenantsKey).GetChildren().ToList();
        if (tenants.Count == 0)
        {
            var path = configuration is IConfigurationSection section ? section.Path + ":" + TenantsKey : TenantsKey;
            throw new InvalidOperationException(
                $"The configuration section '{path}' lists no tenants: add one entry per registration, named by its key, for example " +
                $"\"{TenantsKey}\": {{ \"contoso\": {{ \"TenantId\": \"...\", \"Sessions\": [ ... ] }} }}.");
        }

        foreach (var tenant in tenants)
        {
            if (GetOrAddNames(services).TryAddBinding(tenant.Key, tenant))
            {
                services.AddOptions<PresenceKeepAliveOptions>(tenant.Key).Configure(o =>
                {
                    PresenceKeepAliveOptionsBinder.BindDefaults(configuration, o, TenantsKey);
                    PresenceKeepAliveOptionsBinder.Bind(tenant, o);
                });
            }

            var builder = AddNamedCore(services, tenant.Key);
            configure?.Invoke(tenant.Key, builder);
        }

        return services;
    }

    private const string TenantsKey = "Tenants";

    private static PresenceKeepAliveBuilder AddNamedCore(IServiceCollection services, string name)
    {
        var httpClientBuilder = services.AddHttpClient(PresenceHttpClient.NameFor(name));
        if (!GetOrAddNames(services).Add(name))
        {
            return new PresenceKeepAliveBuilder(services, httpClientBuilder);
        }

        services.AddOptions<PresenceKeepAliveOptions>(name).ValidateOnStart();
        AddSharedServices(services, unnamed: false);
        PresenceHttpClient.Configure(
            httpClientBuilder,
            sp => sp.GetRequiredService<PresenceRegistry>().PolicyFor(name),
            sp => sp.GetRequiredService<SharedGraphConnections>().CreateLease());
        services.AddKeyedSingleton<IPresenceSessionManager>(name, (sp, _) => sp.GetService<IPresenceFrontEnd>()?.GetManager(name) ?? sp.GetRequiredService<PresenceRegistry>().GetPool(name));
        services.AddKeyedSingleton<IPresenceAppPool>(name, (sp, _) => sp.GetRequiredService<PresenceRegistry>().GetPool(name));
        return new PresenceKeepAliveBuilder(services, httpClientBuilder);
    }

    // What the unnamed and the named registrations share: one clock, one meter, one global cap per app, one provider.
    private static void AddSharedServices(IServiceCollection services, bool unnamed)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PresenceKeepAliveOptions>, PresenceKeepAliveOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new PresenceKeepAliveMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(sp => new GlobalAppGates(new KeepAliveClock(sp.GetRequiredService<TimeProvider>())));
        services.TryAddSingleton(sp => new PresenceRegistry(
            sp,
            sp.GetService<PresenceRegistrationNames>() ?? new PresenceRegistrationNames(),
            sp.GetRequiredService<PresenceKeepAliveMetrics>(),
            unnamed: sp.GetService<PresenceKeepAliveMarker>() is { ServicesAdded: true }));
        services.TryAddSingleton<IPresenceSessionManagerProvider>(sp => (IPresenceSessionManagerProvider?)sp.GetService<IPresenceFrontEnd>() ?? sp.GetRequiredService<PresenceRegistry>());
        services.TryAddSingleton<SharedGraphConnections>();
        if (!unnamed)
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PresenceRegistrationsHostedService>());
        }
    }

    private static PresenceRegistrationNames GetOrAddNames(IServiceCollection services)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(PresenceRegistrationNames) && descriptor.ImplementationInstance is PresenceRegistrationNames existing)
            {
                return existing;
            }
        }

        var names = new PresenceRegistrationNames();
        services.AddSingleton(names);
        return names;
    }

    private static PresenceKeepAliveMarker GetOrAddMarker(IServiceCollection services)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(PresenceKeepAliveMarker) && descriptor.ImplementationInstance is PresenceKeepAliveMarker existing)
            {
                return existing;
            }
        }

        var marker = new PresenceKeepAliveMarker();
        services.AddSingleton(marker);
        return marker;
    }

    private static GraphPresenceProtocol CreateProtocol(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<PresenceKeepAliveOptions>>().Value;
        var timeProvider = services.GetRequiredService<TimeProvider>();
        var credential = PresenceCredentialFactory.Create(options, services.GetService<TokenCredential>(), timeProvider);
        var httpClient = services.GetRequiredService<IHttpClientFactory>().CreateClient(PresenceHttpClient.Name);
        return new GraphPresenceProtocol(
            PresenceHttpClient.CreateGraphClient(httpClient, credential, options.BaseUrl),
            options.Protocol,
            options.ClientId!,
            options.Lease,
            timeProvider,
            services.GetRequiredService<Microsoft.Extensions.Logging.ILogger<GraphPresenceProtocol>>());
    }
}
