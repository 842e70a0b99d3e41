using System.Collections.Concurrent;
using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>
/// Graph's global cap per application across all its tenants (130,000 requests per 10 s): one gate per client id in the
/// process, the parent of every (app, tenant) gate of that client id. One per container.
/// </summary>
internal sealed class GlobalAppGates(KeepAliveClock clock)
{
    private readonly ConcurrentDictionary<string, RequestGate> _gates = new(StringComparer.OrdinalIgnoreCase);

    public KeepAliveClock Clock { get; } = clock;

    /// <summary>Returns the cap of <paramref name="clientId"/>; the first caller's limits create it.</summary>
    public RequestGate For(string clientId, int limitPerWindow, TimeSpan window) =>
        _gates.GetOrAdd(clientId, static (_, state) => new RequestGate(state.limitPerWindow, state.window, state.Clock), (limitPerWindow, window, Clock));

    /// <summary>Gets the caps created so far, by client id.</summary>
    public IReadOnlyDictionary<string, RequestGate> Gates => _gates;
}
