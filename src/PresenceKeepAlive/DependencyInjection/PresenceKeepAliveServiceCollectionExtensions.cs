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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PresenceKeepAliveOptions>, PresenceKeepAliveOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new PresenceKeepAliveMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(sp =>
        {
            // One gate per app registration and tenant: the scheduler and every HTTP attempt of the named client pass it.
            var o = sp.GetRequiredService<IOptions<PresenceKeepAliveOptions>>().Value;
            return new RequestGate(o.RateLimitPerWindow, o.RateLimitWindow, new KeepAliveClock(sp.GetRequiredService<TimeProvider>()));
        });
        services.TryAddSingleton<PresenceHttpPolicy>();
        services.TryAddSingleton<IPresenceProtocol>(CreateProtocol);
        services.TryAddSingleton<IPresenceSessionManager, PresenceSessionManager>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PresenceKeepAliveHostedService>());

        PresenceHttpClient.Configure(httpClientBuilder);
        return new PresenceKeepAliveBuilder(services, httpClientBuilder);
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
