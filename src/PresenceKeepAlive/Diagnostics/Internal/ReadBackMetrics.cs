using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PresenceKeepAlive.Diagnostics.Internal;

/// <summary>Read-back's instruments, on the library's meter; created once per manager, only when read-back is on.</summary>
internal sealed class ReadBackMetrics
{
    private readonly Counter<long> _reads;
    private readonly Counter<long> _mismatches;
    public ReadBackMetrics(Meter meter, Func<long> countMismatched)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(countMismatched);
        _reads = meter.CreateCounter<long>(
            "presencekeepalive.readback.reads", "{call}", "getPresencesByUserId calls of read-back, by outcome.");
        _mismatches = meter.CreateCounter<long>(
            "presencekeepalive.readback.mismatches", "{mismatch}", "Times a session's users were seen with another presence than the desired state for longer than the grace period, by reason.");
        meter.CreateObservableUpDownCounter(
            "presencekeepalive.readback.mismatched", countMismatched, "{session}", "Sessions whose users others currently see with another presence than the desired state (past the grace period).");
    }

    public void Read(string outcome) => _reads.Add(1, new TagList { { "outcome", outcome } });

    /// <summary>Counts a mismatch that began, or whose reason changed.</summary>
    public void Mismatch(PresenceMaskReason reason) => _mismatches.Add(1, new TagList { { "reason", reason.ToString() } });
}
