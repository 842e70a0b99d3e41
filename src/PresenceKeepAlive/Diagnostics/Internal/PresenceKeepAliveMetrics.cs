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
    private readonly KeyValuePair<string, object?>[] _tags = [];

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

    // The same instruments, with tags every measurement carries (a registration's name and tenant).
    private PresenceKeepAliveMetrics(PresenceKeepAliveMetrics shared, KeyValuePair<string, object?>[] tags)
    {
        Meter = shared.Meter;
        _requests = shared._requests;
        _requestDuration = shared._requestDuration;
        _activeSessions = shared._activeSessions;
        _lapses = shared._lapses;
        _rateBudgetWaits = shared._rateBudgetWaits;
        _capacityWarnings = shared._capacityWarnings;
        _tags = tags;
    }

    public Meter Meter { get; }

    /// <summary>Gets the tags every measurement of this instance carries.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Tags => _tags;

    /// <summary>Returns instruments that add <paramref name="tags"/> to every measurement (never a secret).</summary>
    public PresenceKeepAliveMetrics WithTags(params KeyValuePair<string, object?>[] tags) => new(this, [.. _tags, .. tags]);

    public static ActivitySource ActivitySource { get; } = new(PresenceKeepAliveDiagnostics.ActivitySourceName);

    /// <summary>Counts one HTTP attempt that left the process, and its duration.</summary>
    /// <param name="operation">setPresence, clearPresence, patchPresence, or other (a request sent outside any presence operation).</param>
    /// <param name="outcome">success (2xx), the status code, network, timeout, cancelled or error.</param>
    /// <param name="duration">From the attempt leaving to its answer or failure.</param>
    public void RequestCompleted(string operation, string outcome, TimeSpan duration)
    {
        var tags = new TagList(_tags) { { "operation", operation }, { "outcome", outcome } };
        _requests.Add(1, tags);
        _requestDuration.Record(duration.TotalSeconds, tags);
    }

    public void SessionActivated() => Add(_activeSessions, 1);

    public void SessionDeactivated() => Add(_activeSessions, -1);

    public void SessionLapsed() => Add(_lapses, 1);

    public void RateBudgetWaited() => Add(_rateBudgetWaits, 1);

    public void OverCapacity() => Add(_capacityWarnings, 1);

    private void Add(Counter<long> counter, long value)
    {
        if (_tags.Length == 0)
        {
            counter.Add(value);
        }
        else
        {
            counter.Add(value, new TagList(_tags));
        }
    }

    private void Add(UpDownCounter<long> counter, long value)
    {
        if (_tags.Length == 0)
        {
            counter.Add(value);
        }
        else
        {
            counter.Add(value, new TagList(_tags));
        }
    }
}
