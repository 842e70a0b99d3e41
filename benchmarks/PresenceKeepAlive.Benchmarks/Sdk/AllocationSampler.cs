using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace PresenceKeepAlive.Benchmarks.Sdk;

/// <summary>
/// Samples the runtime's <c>GCAllocationTick</c> events (one about every 100 KB allocated) in process, by type, so that
/// <c>overhead --allocations</c> can say which types a call allocates without an external profiler.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();
    private volatile bool _recording;

    /// <summary>Gets the sampled bytes by type name since the last <see cref="Start"/>.</summary>
    public IReadOnlyDictionary<string, long> Bytes => _bytes;

    public void Start()
    {
        _bytes.Clear();
        _recording = true;
    }

    public void Stop() => _recording = false;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
        {
            return;
        }

        var typeAt = eventData.PayloadNames.IndexOf("TypeName");
        var amountAt = eventData.PayloadNames.IndexOf("AllocationAmount64");
        if (typeAt < 0 || eventData.Payload is null)
        {
            return;
        }

        var type = eventData.Payload[typeAt] as string ?? "?";
        var amount = amountAt >= 0 ? Convert.ToInt64(eventData.Payload[amountAt], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }
}
