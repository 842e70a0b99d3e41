using PresenceKeepAlive.Http.Internal;

namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>Something the <see cref="KeepAliveScheduler"/> runs when due: in practice, a presence session.</summary>
internal interface IScheduledWork
{
    /// <summary>Gets the token of the item that is current; items carrying another token are stale and dropped.</summary>
    long ScheduleToken { get; }

    /// <summary>
    /// Runs the work the item stood for, if <paramref name="token"/> is still current. Runs on a thread-pool thread with
    /// a clean execution context. Must not throw.
    /// </summary>
    /// <param name="token">The item's token.</param>
    /// <param name="priority">What the item was queued for.</param>
    /// <param name="ticket">The send's ticket, holding the place the scheduler reserved in the app's gate.</param>
    /// <param name="cancellationToken">Cancelled when the scheduler stops.</param>
    Task RunAsync(long token, WorkPriority priority, SendTicket ticket, CancellationToken cancellationToken);

    /// <summary>
    /// Tells the work that the deadline of its item with <paramref name="token"/> passed before a send of it was
    /// accepted (it waited for the budget, a hold or the fleet's backoff). Called outside the scheduler's lock. Must not throw.
    /// </summary>
    void OnDeadlinePassed(long token);
}
