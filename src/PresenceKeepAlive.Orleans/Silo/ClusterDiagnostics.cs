namespace PresenceKeepAlive.Orleans.Silo;

/// <summary>What happened in one silo's part of the distributed mode, for timelines (the cluster sample) and tests. One per silo.</summary>
internal sealed class ClusterDiagnostics(TimeProvider timeProvider)
{
    private long _adopted;
    private long _woken;

    /// <summary>Raised for every event, on the thread that caused it. Handlers must not block or throw.</summary>
    public event Action<ClusterEvent>? Event;

    /// <summary>Gets how many sessions this silo took over (state adopted or re-sent on activation).</summary>
    public long Adopted => Interlocked.Read(ref _adopted);

    /// <summary>Gets how many session wake-ups this silo's membership watcher and bucket reminders caused.</summary>
    public long Woken => Interlocked.Read(ref _woken);

    public void Raise(ClusterEventKind kind, string? silo = null, int count = 0, string? detail = null)
    {
        if (kind == ClusterEventKind.SessionTakenOver)
        {
            Interlocked.Increment(ref _adopted);
        }
        else if (kind == ClusterEventKind.BucketsWoken)
        {
            Interlocked.Add(ref _woken, count);
        }

        try
        {
            Event?.Invoke(new ClusterEvent(timeProvider.GetUtcNow(), kind, silo, count, detail));
        }
        catch (Exception)
        {
            // Diagnostics must not break the cluster's work.
        }
    }
}

/// <summary>One event of <see cref="ClusterDiagnostics"/>.</summary>
internal readonly record struct ClusterEvent(DateTimeOffset At, ClusterEventKind Kind, string? Silo, int Count, string? Detail);

internal enum ClusterEventKind
{
    /// <summary>Another silo was seen shutting down, stopping or dead (<see cref="ClusterEvent.Detail"/>: its status).</summary>
    SiloLeaving,

    /// <summary>This silo woke its share of the buckets (<see cref="ClusterEvent.Count"/>: the sessions they hold).</summary>
    BucketsWoken,

    /// <summary>A session was taken over here on activation (<see cref="ClusterEvent.Detail"/>: the grain key).</summary>
    SessionTakenOver,

    /// <summary>The budget share changed (<see cref="ClusterEvent.Count"/>: the divisor, 0 for none).</summary>
    BudgetShareChanged,

    /// <summary>This silo released its sessions without signing anyone off (stopping).</summary>
    SessionsReleased,
}
