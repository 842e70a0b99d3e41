using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>
/// What a transition of <see cref="SessionState"/> asks the session to do, carried out by the shell in a fixed order:
/// under the lock, schedule and queue status events; after it, complete waiters, update counts and metrics, tell the
/// scheduler, log, raise the events, pump. A failing log provider, meter listener or event handler can therefore
/// neither leave a waiter hanging nor stop the engine.
/// </summary>
internal struct SessionEffects
{
    /// <summary>Queue a work item (the shell assigns its token).</summary>
    public bool Schedule;
    public WorkPriority Priority;
    public long DueTicks;
    public long DeadlineTicks;

    /// <summary>Where a refresh or retry is ordered among the others (see <see cref="KeepAlive.Internal.KeepAliveScheduler.Schedule"/>): its deadline unless said otherwise.</summary>
    public long OrderTicks;

    /// <summary>Invalidate the queued item without queueing another.</summary>
    public bool Unschedule;

    /// <summary>Complete the waiters up to <see cref="CompleteUpTo"/> with <see cref="CompleteError"/> (success when null).</summary>
    public bool Complete;
    public long CompleteUpTo;
    public Exception? CompleteError;

    /// <summary>The waiters taken under the lock, completed after it with <see cref="CompletionError"/> (success when null): the first, and any more.</summary>
    public TaskCompletionSource? Completion;
    public List<TaskCompletionSource>? MoreCompletions;
    public Exception? CompletionError;

    /// <summary>The status changes, in order; at most two per transition.</summary>
    public StatusChange First;
    public StatusChange Second;
    public int StatusChanges;

    /// <summary>The change in the number of sessions kept alive (+1, -1 or 0).</summary>
    public int KeptDelta;

    /// <summary>The change in the rate, in millionths of a request per second, that keeping this session alive costs.</summary>
    public int DemandDelta;

    /// <summary>How the send ended, for the scheduler's fleet backoff; <see langword="null"/> when there was no send.</summary>
    public SendOutcome? Outcome;

    /// <summary>Whether a failed send was the session's first since an accepted one (for the fleet backoff).</summary>
    public bool FirstFailure;

    /// <summary>A <c>Retry-After</c> to hold the fleet's refreshes and retries for (a 429), or zero.</summary>
    public TimeSpan ThrottledFor;

    /// <summary>Count one lapse.</summary>
    public bool Lapse;

    /// <summary>What to log, with its values.</summary>
    public SessionLog Log;
    public TimeSpan LogA;
    public TimeSpan LogB;
    public PresenceRequestException? LogError;
    public PresenceState? LogState;
    public long LogVersion;

    public void AddStatus(PresenceSessionStatus from, PresenceSessionStatus to, PresenceRequestException? error)
    {
        var change = new StatusChange(from, to, error);
        if (StatusChanges == 0)
        {
            First = change;
        }
        else
        {
            Second = change;
        }

        StatusChanges = Math.Min(StatusChanges + 1, 2);
    }

    public void ScheduleAt(WorkPriority priority, long dueTicks, long deadlineTicks) => ScheduleAt(priority, dueTicks, deadlineTicks, deadlineTicks);

    public void ScheduleAt(WorkPriority priority, long dueTicks, long deadlineTicks, long orderTicks)
    {
        Schedule = true;
        Priority = priority;
        DueTicks = dueTicks;
        DeadlineTicks = deadlineTicks;
        OrderTicks = orderTicks;
    }

    /// <summary>Adds a waiter taken under the lock (one call of <see cref="SessionWaiters.TakeUpTo"/> takes them all with one error).</summary>
    public void AddCompletion(TaskCompletionSource completion, Exception? error)
    {
        CompletionError = error;
        if (Completion is null)
        {
            Completion = completion;
        }
        else
        {
            (MoreCompletions ??= []).Add(completion);
        }
    }

    public void CompleteWaiters(long upToVersion, Exception? error)
    {
        Complete = true;
        CompleteUpTo = upToVersion;
        CompleteError = error;
    }

    public void SetLog(SessionLog log, PresenceRequestException? error = null, TimeSpan a = default, TimeSpan b = default)
    {
        Log = log;
        LogError = error;
        LogA = a;
        LogB = b;
    }
}

/// <summary>One status change of a transition.</summary>
internal readonly record struct StatusChange(PresenceSessionStatus From, PresenceSessionStatus To, PresenceRequestException? Error);

/// <summary>The log entry a transition asks for.</summary>
internal enum SessionLog
{
    None,
    Started,
    Set,
    Adopted,
    Retrying,
    RetryingLong,
    RetryAfterCapped,
    Lapsed,
    LapsedWaiting,
    Permanent,
    Recovered,
    RefreshedLate,
    SignedOff,
    SignOffFailed,
    SignOffRetrying,
    SignOffEndedByLease,
}
