namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>Something the <see cref="KeepAliveScheduler"/> runs when due: in practice, a presence session.</summary>
internal interface IScheduledWork
{
    /// <summary>Gets the token of the item that is current; items carrying another token are stale and dropped.</summary>
    long ScheduleToken { get; }

    /// <summary>Runs the work the item stood for, if <paramref name="token"/> is still current. Must not throw.</summary>
    Task RunAsync(long token, WorkPriority priority, CancellationToken cancellationToken);
}
