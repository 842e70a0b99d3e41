using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>One app of a registration: its engine (manager, scheduler) and its (app, tenant) gate.</summary>
internal sealed class AppSlot(string clientId, RequestGate gate, PresenceSessionManager manager, PresenceKeepAliveMetrics metrics)
{
    public string ClientId { get; } = clientId;

    public RequestGate Gate { get; } = gate;

    public PresenceSessionManager Manager { get; } = manager;

    public PresenceKeepAliveMetrics Metrics { get; } = metrics;
}
