using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Registrations.Internal;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// Puts <see cref="PresenceAttemptHandler"/> last among the named client's handlers, after everything configured on
/// it (ours and any the application adds through the <see cref="IHttpClientBuilder"/>), so that no handler that
/// re-sends can send an attempt the gate did not see.
/// </summary>
internal sealed class PresenceAttemptHandlerFilter : IHttpMessageHandlerBuilderFilter
{
    /// <inheritdoc/>
    public Action<HttpMessageHandlerBuilder> Configure(Action<HttpMessageHandlerBuilder> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return builder =>
        {
            next(builder);
            if (string.Equals(builder.Name, PresenceHttpClient.Name, StringComparison.Ordinal))
            {
                var services = builder.Services;
                builder.AdditionalHandlers.Add(new PresenceAttemptHandler(
                    services.GetRequiredService<RequestGate>(),
                    services.GetRequiredService<PresenceKeepAliveMetrics>(),
                    services.GetRequiredService<TimeProvider>(),
                    services.GetRequiredService<ILogger<PresenceAttemptHandler>>()));
            }
            else if (builder.Name is { } name && name.StartsWith(PresenceHttpClient.RegistrationPrefix, StringComparison.Ordinal))
            {
                // A named registration's client: its first app's gate (for requests outside any session) and its tagged instruments.
                var services = builder.Services;
                var registration = services.GetRequiredService<PresenceRegistry>().HandlerServicesFor(name[PresenceHttpClient.RegistrationPrefix.Length..]);
                builder.AdditionalHandlers.Add(new PresenceAttemptHandler(
                    registration.Gate,
                    registration.Metrics,
                    services.GetRequiredService<TimeProvider>(),
                    services.GetRequiredService<ILogger<PresenceAttemptHandler>>()));
            }
        };
    }
}
