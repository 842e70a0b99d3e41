using System.Diagnostics.Metrics;

namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>
/// Per-registration capacity and usage, observed from the pools: for each app of each named registration (tags
/// <c>presencekeepalive.registration</c>, <c>presencekeepalive.tenant</c>, <c>presencekeepalive.client_id</c>), the sessions
/// kept, the Available sessions its budget carries before the over-capacity warning, the requests per second the kept
/// sessions need at the least, and the attempts that passed its gate.
/// </summary>
internal static class RegistrationMetrics
{
    public static void Create(Meter meter, PresenceRegistry registry)
    {
        meter.CreateObservableGauge(
            "presencekeepalive.registration.sessions",
            () => Observe(registry, s => s.Manager.KeptCount),
            "{session}",
            "Sessions kept alive, per app of each named registration.");
        meter.CreateObservableGauge(
            "presencekeepalive.registration.capacity",
            () => Observe(registry, s => s.Manager.CapacitySessions),
            "{session}",
            "Available sessions the app's rate budget in the tenant carries before the over-capacity warning, per app of each named registration.");
        meter.CreateObservableGauge(
            "presencekeepalive.registration.demand",
            () => Observe(registry, s => s.Manager.PlannedRate),
            "{request}/s",
            "Requests per second the kept sessions need at the least, per app of each named registration.");
        meter.CreateObservableCounter(
            "presencekeepalive.registration.requests",
            () => Observe(registry, s => s.Gate.Entered),
            "{request}",
            "HTTP attempts that passed the app's gate in the tenant, per app of each named registration.");
    }

    private static IEnumerable<Measurement<T>> Observe<T>(PresenceRegistry registry, Func<AppSlot, T> read)
        where T : struct
    {
        foreach (var pool in registry.Pools)
        {
            foreach (var slot in pool.Slots)
            {
                yield return new Measurement<T>(read(slot), slot.Metrics.Tags);
            }
        }
    }
}
