using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace PresenceKeepAlive.Diagnostics.Internal;

/// <summary>
/// Read-back's measurements for one manager, tagged with the manager's metric tags (registration, tenant, client id).
/// The instruments themselves exist once per <see cref="Meter"/> (so once per container): every manager's measurements go
/// to the same instruments, and the observable gauge reads every live manager through a weak registration, so a
/// disposed or dropped manager is neither measured nor kept alive.
/// </summary>
internal sealed class ReadBackMetrics : IDisposable
{
    private static readonly ConditionalWeakTable<Meter, Instruments> s_instruments = new();

    private readonly Instruments _instruments;
    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly Func<long> _countMismatched;
    private readonly WeakReference<ReadBackMetrics> _registration;

    public ReadBackMetrics(Meter meter, IReadOnlyList<KeyValuePair<string, object?>> tags, Func<long> countMismatched)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(countMismatched);
        _instruments = s_instruments.GetValue(meter, static m => new Instruments(m));
        _tags = [.. tags];
        _countMismatched = countMismatched;
        _registration = new WeakReference<ReadBackMetrics>(this);
        _instruments.Register(_registration);
    }

    public void Read(string outcome) => _instruments.Reads.Add(1, new TagList(_tags) { { "outcome", outcome } });

    /// <summary>Counts a mismatch that began, or whose reason changed.</summary>
    public void Mismatch(PresenceMaskReason reason) => _instruments.Mismatches.Add(1, new TagList(_tags) { { "reason", reason.ToString() } });

    /// <summary>Stops reporting this manager's gauge.</summary>
    public void Dispose() => _instruments.Unregister(_registration);

    private sealed class Instruments
    {
        private readonly object _lock = new();
        private readonly List<WeakReference<ReadBackMetrics>> _sources = [];

        public Instruments(Meter meter)
        {
            Reads = meter.CreateCounter<long>(
                "presencekeepalive.readback.reads", "{call}", "getPresencesByUserId calls of read-back, by outcome.");
            Mismatches = meter.CreateCounter<long>(
                "presencekeepalive.readback.mismatches", "{mismatch}", "Times a session's users were seen with another presence than the desired state for longer than the grace period, by reason.");
            meter.CreateObservableUpDownCounter(
                "presencekeepalive.readback.mismatched", Observe, "{session}", "Sessions whose users others currently see with another presence than the desired state (past the grace period).");
        }

        public Counter<long> Reads { get; }

        public Counter<long> Mismatches { get; }

        public void Register(WeakReference<ReadBackMetrics> source)
        {
            lock (_lock)
            {
                _sources.Add(source);
            }
        }

        public void Unregister(WeakReference<ReadBackMetrics> source)
        {
            lock (_lock)
            {
                _sources.Remove(source);
            }
        }

        private List<Measurement<long>> Observe()
        {
            List<ReadBackMetrics> live = [];
            lock (_lock)
            {
                _sources.RemoveAll(s => !s.TryGetTarget(out _));
                foreach (var source in _sources)
                {
                    if (source.TryGetTarget(out var metrics))
                    {
                        live.Add(metrics);
                    }
                }
            }

            var measurements = new List<Measurement<long>>(live.Count);
            foreach (var metrics in live)
            {
                measurements.Add(new Measurement<long>(metrics._countMismatched(), metrics._tags));
            }

            return measurements;
        }
    }
}
