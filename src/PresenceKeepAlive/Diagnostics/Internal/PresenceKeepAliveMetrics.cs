using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PresenceKeepAlive.Diagnostics.Internal;

/// <summary>The library's instruments, created once from <see cref="IMeterFactory"/>.</summary>
internal sealed class PresenceKeepAliveMetrics
{
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly UpDownCounter<long> _activeSessions;
    private readonly Counter<long> _lapses;
    private readonly Counter<long> _rateBudgetWaits;
    private readonly Counter<long> _capacityWarnings;

    public PresenceKeepAliveMetrics(IMeterFactory? meterFactory)
    {
        Meter = meterFactory?.Create(PresenceKeepAliveDiagnostics.MeterName) ?? new Meter(PresenceKeepAliveDiagnostics.MeterName);
        _requests = Meter.CreateCounter<long>(
            "presencekeepalive.requests", "{request}", "HTTP attempts sent to Graph (every retry and redirect counted), by operation and outcome.");
        _requestDuration = Meter.CreateHistogram<double>(
            "presencekeepalive.request.duration", "s", "Duration of each HTTP attempt sent to Graph, by operation and outcome.");
        _activeSessions = Meter.CreateUpDownCounter<long>(
            "presencekeepalive.sessions.active", "{session}", "Sessions whose presence is being kept alive.");
        _lapses = Meter.CreateCounter<long>(
            "presencekeepalive.sessions.lapses", "{lapse}", "Times a session went unrefreshed past the inactivity timeout.");
        _rateBudgetWaits = Meter.CreateCounter<long>(
            "presencekeepalive.rate_budget.waits", "{wait}", "Sends that had to wait for the rate budget.");
        _capacityWarnings = Meter.CreateCounter<long>(
            "presencekeepalive.rate_budget.over_capacity", "{warning}", "Times the rate budget could not hold every session inside its timeout.");
    }

    public Meter Meter { get; }

    public static ActivitySource ActivitySource { get; } = new(PresenceKeepAliveDiagnostics.ActivitySourceName);

    /// <summary>Counts one HTTP attempt that left the process, and its duration.</summary>
    /// <param name="operation">setPresence, clearPresence, patchPresence, or other (a request sent outside any presence operation).</param>
    /// <param name="outcome">success (2xx), the status code, network, timeout, cancelled or error.</param>
    /// <param name="duration">From the attempt leaving to its answer or failure.</param>
    public void RequestCompleted(string operation, string outcome, TimeSpan duration)
    {
        var tags = new TagList { { "operation", operation }, { "outcome", outcome } };
        _requests.Add(1, tags);
        _requestDuration.Record(duration.TotalSeconds, tags);
    }

    public void SessionActivated() => _activeSessions.Add(1);

    public void SessionDeactivated() => _activeSessions.Add(-1);

    public void SessionLapsed() => _lapses.Add(1);

    public void RateBudgetWaited() => _rateBudgetWaits.Add(1);

    public void OverCapacity() => _capacityWarnings.Add(1);
}
