using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PresenceKeepAlive;
using PresenceKeepAlive.HealthChecks.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the PresenceKeepAlive health check to an <see cref="IHealthChecksBuilder"/>.</summary>
public static class PresenceKeepAliveHealthChecksBuilderExtensions
{
    /// <summary>The default name of the health check registration, <c>presencekeepalive</c>.</summary>
    public const string DefaultName = "presencekeepalive";

    /// <summary>
    /// Adds a health check that reports whether the presence sessions of <see cref="IPresenceSessionManager"/> are kept
    /// alive: <c>Healthy</c>, <c>Degraded</c> (sessions retrying past half their timeout, refreshes overdue, or a few
    /// sessions lapsed or failed) or <c>Unhealthy</c> (lapsed or failed sessions above
    /// <see cref="PresenceKeepAliveHealthCheckOptions.UnhealthyShare"/>). The report's data holds the number of sessions per
    /// <see cref="PresenceSessionStatus"/>; it names no user. Register the library itself with <c>AddPresenceSession</c>.
    /// </summary>
    /// <param name="builder">The health checks builder, from <c>services.AddHealthChecks()</c>.</param>
    /// <param name="configure">Sets the thresholds; <see langword="null"/> keeps the defaults.</param>
    /// <param name="name">The registration's name; <see langword="null"/> for <see cref="DefaultName"/>.</param>
    /// <param name="failureStatus">The status reported instead of <see cref="HealthStatus.Unhealthy"/>, and when the check throws; <see langword="null"/> for <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter the check by (for example <c>ready</c>).</param>
    /// <param name="timeout">How long the check may run; <see langword="null"/> for no timeout.</param>
    /// <returns>The <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IHealthChecksBuilder AddPresenceKeepAlive(
        this IHealthChecksBuilder builder,
        Action<PresenceKeepAliveHealthCheckOptions>? configure = null,
        string? name = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var registrationName = name ?? DefaultName;

        var options = builder.Services.AddOptions<PresenceKeepAliveHealthCheckOptions>(registrationName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        builder.Services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IValidateOptions<PresenceKeepAliveHealthCheckOptions>, PresenceKeepAliveHealthCheckOptionsValidator>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<RetryingSinceTracker>();

        return builder.Add(new HealthCheckRegistration(
            registrationName,
            services => new PresenceKeepAliveHealthCheck(services),
            failureStatus,
            tags,
            timeout));
    }
}
