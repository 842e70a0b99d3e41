using Azure.Core;
using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Protocol.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>What a named registration builds its apps from: its options, the process's shared clock and caps, its HTTP client.</summary>
internal sealed class RegistrationContext
{
    public required string Name { get; init; }

    public required PresenceKeepAliveOptions Options { get; init; }

    public required TimeProvider TimeProvider { get; init; }

    public required GlobalAppGates GlobalGates { get; init; }

    public required Func<HttpClient> CreateHttpClient { get; init; }

    public required ILoggerFactory LoggerFactory { get; init; }

    public required PresenceKeepAliveMetrics Metrics { get; init; }

    public TokenCredential? RegisteredCredential { get; init; }

    /// <summary>Gets a replacement for <see cref="CreateSlot"/> (benchmarks over a simulated Graph); <see langword="null"/> in DI.</summary>
    public Func<PresenceAppRegistration, AppSlot>? SlotFactory { get; init; }

    /// <summary>Gets the tags of the registration's measurements: its name and tenant (never a secret).</summary>
    public KeyValuePair<string, object?>[] Tags =>
    [
        new("presencekeepalive.registration", Name),
        new("presencekeepalive.tenant", Options.TenantId ?? string.Empty),
    ];

    /// <summary>Creates the (app, tenant) gate of <paramref name="clientId"/>, under the app's global cap.</summary>
    public RequestGate CreateGate(string clientId) => new(
        Options.RateLimitPerWindow,
        Options.RateLimitWindow,
        GlobalGates.Clock,
        GlobalGates.For(clientId, Options.GlobalRateLimitPerWindow, Options.GlobalRateLimitWindow));

    /// <summary>Builds one app's engine: credential in the registration's tenant, protocol with the app's session id, manager.</summary>
    public AppSlot CreateSlot(PresenceAppRegistration app, RequestGate? gate = null)
    {
        if (SlotFactory is not null)
        {
            return SlotFactory(app);
        }

        var clientId = app.ClientId!;
        gate ??= CreateGate(clientId);
        var metrics = Metrics.WithTags([.. Tags, new("presencekeepalive.client_id", clientId)]);
        var scope = new RegistrationLogScope(Name, Options.TenantId, clientId);
        // A credential registered in DI is the registration's identity: never another app's (validation refuses that).
        var registered = CredentialSettings.UsesRegistrationIdentity(Options, app) ? RegisteredCredential : null;
        var credential = PresenceCredentialFactory.CreateFor(Options, app, registered, TimeProvider);
        var protocol = new GraphPresenceProtocol(
            PresenceHttpClient.CreateGraphClient(CreateHttpClient(), credential, Options.BaseUrl),
            Options.Protocol,
            clientId,
            Options.Lease,
            TimeProvider,
            new RegistrationLogger<GraphPresenceProtocol>(LoggerFactory.CreateLogger<GraphPresenceProtocol>(), scope));
        var manager = new PresenceSessionManager(
            protocol,
            Options,
            TimeProvider,
            new RegistrationLogger<PresenceSessionManager>(LoggerFactory.CreateLogger<PresenceSessionManager>(), scope),
            metrics,
            random: null,
            gate: gate);
        return new AppSlot(clientId, gate, manager, metrics);
    }
}
