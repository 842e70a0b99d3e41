using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>
/// The explicit state of one presence session and its one transition function, <see cref="Apply"/>: every change of a
/// session is an event applied here, under the session's lock, and every consequence (a send to queue, waiters to
/// complete, a status change, a log entry, a lapse to count) is written to <see cref="SessionEffects"/> for the shell to
/// carry out. The "Failure states" table of docs/keep-alive-engine.md is this method's shape.
/// </summary>
/// <remarks>Not thread-safe: the session locks this object around every call.</remarks>
internal sealed class SessionState
{
    /// <summary>The state the application last asked for (meaningless while <see cref="WantsClear"/>).</summary>
    public PresenceState? Desired;

    /// <summary>The state the service last accepted, or <see langword="null"/>.</summary>
    public PresenceState? Confirmed;

    /// <summary>The version of the latest desire; each set or clear increments it.</summary>
    public long Version;

    /// <summary>The version of the latest desire the service accepted.</summary>
    public long ConfirmedVersion;

    /// <summary>When the service last accepted a set (engine ticks), or 0.</summary>
    public long LastAcceptedTicks;

    /// <summary>When the service fades or ends what it last accepted; for a session not yet confirmed, when its desire counts as lapsed.</summary>
    public long DeadlineTicks;

    /// <summary>When the next send of the kept state is due (a refresh at a grid point, or a retry), or 0.</summary>
    public long NextRefreshTicks;

    /// <summary>The grid point of the refresh being attempted (retries keep it), or 0 after a state change.</summary>
    public long GridTicks;

    /// <summary>When the last set ended, accepted or not: sign-off retries stop one lease after it.</summary>
    public long LastSetEndedTicks;

    public PresenceSessionStatus Status;
    public PresenceRequestException? LastError;
    public int RetryAttempt;

    /// <summary>The rate this session's keep-alive costs, in millionths of a request per second, as last reported.</summary>
    public int DemandMicros;

    public bool WantsClear;
    public bool InFlight;
    public bool EverSent;
    public bool Kept;
    public bool LapseCounted;
    public bool Closing;
    public bool Disposed;

    /// <summary>Gets the desired state, or <see langword="null"/> after a clear.</summary>
    public PresenceState? DesiredState => WantsClear ? null : Desired;

    /// <summary>Applies <paramref name="e"/> at <paramref name="nowTicks"/>.</summary>
    /// <returns>What the shell must do: a send to start, for <see cref="SessionEventKind.SendDue"/>; otherwise <see cref="SendPlan.None"/>.</returns>
    public SendPlan Apply(in SessionEvent e, long nowTicks, KeepAliveSettings settings, ref SessionEffects fx) => e.Kind switch
    {
        SessionEventKind.Set => OnSet(e.State!, nowTicks, settings, ref fx),
        SessionEventKind.Adopt => OnAdopt(e.State!, e.DueTicks, e.DeadlineTicks, nowTicks, settings, ref fx),
        SessionEventKind.Clear => OnClear(nowTicks, ref fx),
        SessionEventKind.SendDue => OnSendDue(e.Priority, nowTicks, settings, ref fx),
        SessionEventKind.Accepted => OnAccepted(e.Version, e.Clear, e.DueTicks, e.Jitter, nowTicks, settings, ref fx),
        SessionEventKind.Failed => OnFailed(e.Version, e.Clear, e.Error!, e.Jitter, nowTicks, settings, ref fx),
        SessionEventKind.DeadlinePassed => OnDeadlinePassed(nowTicks, ref fx),
        SessionEventKind.Stopped => OnStopped(ref fx),
        SessionEventKind.Disposed => OnDisposed(ref fx),
        _ => SendPlan.None,
    };

    private SendPlan OnSet(PresenceState state, long now, KeepAliveSettings settings, ref SessionEffects fx)
    {
        if (!Kept)
        {
            Kept = true;
            fx.KeptDelta = 1;
            fx.Log = SessionLog.Started;
            LapseCounted = false;
            RetryAttempt = 0;
            if (Confirmed is null || WantsClear || DeadlineTicks < now)
            {
                // Not on the service yet: the desire counts as lapsed if it is still unconfirmed one timeout from now.
                DeadlineTicks = now + settings.SessionTimeout.Ticks;
            }
        }
        else
        {
            fx.Log = SessionLog.Set;
        }

        Desired = state;
        WantsClear = false;
        Version++;

        // Counted at once, so that the capacity check speaks as the session that does not fit starts.
        var demand = SessionTiming.DemandMicros(settings, state);
        fx.DemandDelta = demand - DemandMicros;
        DemandMicros = demand;
        fx.LogState = state;
        fx.LogVersion = Version;
        GridTicks = 0;
        if (!InFlight)
        {
            NextRefreshTicks = 0;
            fx.ScheduleAt(WorkPriority.StateChange, now, now);
        }

        return SendPlan.None;
    }

    /// <summary>
    /// Takes over a state another process kept alive (distributed mode: the previous holder of the session stopped): the
    /// service accepted it at <paramref name="acceptedTicks"/>, and its deadline is at least <paramref name="deadlineTicks"/>.
    /// The session is kept as if this engine had confirmed it: its refresh is due now, or a margin before a later deadline,
    /// and queues with the other refreshes by deadline, so sessions taken over together go out paced by the budget instead of
    /// as a burst of state changes. A session already kept here, or one whose deadline has passed, is sent as a state change.
    /// </summary>
    private SendPlan OnAdopt(PresenceState state, long acceptedTicks, long deadlineTicks, long now, KeepAliveSettings settings, ref SessionEffects fx)
    {
        if (Kept && !WantsClear && Equals(Desired, state))
        {
            // Kept here already (a caller's set came first): nothing to take over.
            return SendPlan.None;
        }

        if (Kept || InFlight || Version > 0 || deadlineTicks <= now || acceptedTicks <= 0)
        {
            // Only a fresh session takes a state over; one that was used here (a set, a clear pending) treats it as a set.
            return OnSet(state, now, settings, ref fx);
        }

        Kept = true;
        fx.KeptDelta = 1;
        fx.Log = SessionLog.Adopted;
        fx.LogState = state;
        Desired = state;
        Confirmed = state;
        WantsClear = false;
        Version++;
        ConfirmedVersion = Version;
        fx.LogVersion = Version;
        EverSent = true;
        LapseCounted = false;
        RetryAttempt = 0;
        LastError = null;
        LastAcceptedTicks = Math.Min(acceptedTicks, now);
        LastSetEndedTicks = LastAcceptedTicks;
        DeadlineTicks = deadlineTicks;
        var demand = SessionTiming.DemandMicros(settings, state);
        fx.DemandDelta = demand - DemandMicros;
        DemandMicros = demand;
        var due = deadlineTicks == long.MaxValue ? now : Math.Max(now, deadlineTicks - settings.RefreshMargin.Ticks);
        NextRefreshTicks = due;
        GridTicks = due;
        fx.ScheduleAt(WorkPriority.Refresh, due, deadlineTicks, SessionTiming.RefreshOrder(settings, state, due, deadlineTicks));
        SetStatus(PresenceSessionStatus.Active, null, ref fx);
        return SendPlan.None;
    }

    private SendPlan OnClear(long now, ref SessionEffects fx)
    {
        WantsClear = true;
        RetryAttempt = 0;
        Version++;
        NextRefreshTicks = 0;
        Unkeep(ref fx);
        if (!EverSent && !InFlight)
        {
            // Nothing of ours is on the service: signing off is a no-op.
            fx.Unschedule = true;
            fx.CompleteWaiters(Version, null);
            SetStatus(PresenceSessionStatus.Cleared, null, ref fx);
        }
        else if (!InFlight)
        {
            fx.ScheduleAt(WorkPriority.StateChange, now, now);
        }

        return SendPlan.None;
    }

    private SendPlan OnSendDue(WorkPriority priority, long now, KeepAliveSettings settings, ref SessionEffects fx)
    {
        if (InFlight || Disposed)
        {
            return SendPlan.None;
        }

        if (WantsClear && RetryAttempt > 0 && now >= LastSetEndedTicks + settings.Lease.Ticks)
        {
            // A sign-off retry that surfaces after the lease (its backoff or the budget held it that long): the
            // service has ended the session, so sending it would only spend budget.
            EndSignOffByLease(ref fx);
            return SendPlan.None;
        }

        InFlight = true;
        EverSent = true;
        return new SendPlan(true, Version, WantsClear, WantsClear ? null : Desired, GridTicks);
    }

    private SendPlan OnAccepted(long version, bool clear, long plannedDueTicks, double phase, long now, KeepAliveSettings settings, ref SessionEffects fx)
    {
        InFlight = false;
        fx.CompleteWaiters(version, null);
        if (Disposed)
        {
            return SendPlan.None;
        }

        fx.Outcome = SendOutcome.Accepted;
        LastError = null;
        RetryAttempt = 0;
        var superseded = Version != version;
        if (clear)
        {
            EverSent = false;
            Confirmed = null;
            ConfirmedVersion = version;
            LastAcceptedTicks = 0;
            if (superseded)
            {
                fx.ScheduleAt(WorkPriority.StateChange, now, now);
            }
            else
            {
                NextRefreshTicks = 0;
                fx.Log = SessionLog.SignedOff;
                SetStatus(PresenceSessionStatus.Cleared, null, ref fx);
            }

            return SendPlan.None;
        }

        var state = Desired!;
        if (LastAcceptedTicks != 0 && now > DeadlineTicks && !LapseCounted)
        {
            // Accepted, but after the deadline (the budget over capacity, a long send, or the machine slept): a lapse.
            fx.Lapse = true;
            fx.SetLog(
                Status == PresenceSessionStatus.Active ? SessionLog.RefreshedLate : SessionLog.Recovered,
                null,
                TimeSpan.FromTicks(now - LastAcceptedTicks),
                TimeSpan.FromTicks(DeadlineTicks - LastAcceptedTicks));
        }
        else if (Status is PresenceSessionStatus.Retrying or PresenceSessionStatus.Lapsed)
        {
            fx.SetLog(SessionLog.Recovered, null, TimeSpan.FromTicks(now - (LastAcceptedTicks != 0 ? LastAcceptedTicks : now)));
        }

        var stateChanged = !ReferenceEquals(Confirmed, state) || ConfirmedVersion != version;
        Confirmed = state;
        ConfirmedVersion = version;
        LastAcceptedTicks = now;
        LastSetEndedTicks = now;
        DeadlineTicks = SessionTiming.Deadline(settings, state, now);
        LapseCounted = false;
        if (superseded)
        {
            fx.ScheduleAt(WorkPriority.StateChange, now, now);
            NextRefreshTicks = 0;
        }
        else if (Kept)
        {
            NextRefreshTicks = SessionTiming.NextRefresh(settings, state, now, stateChanged ? 0 : plannedDueTicks, phase);
            GridTicks = NextRefreshTicks;
            fx.ScheduleAt(WorkPriority.Refresh, NextRefreshTicks, DeadlineTicks, SessionTiming.RefreshOrder(settings, state, NextRefreshTicks, DeadlineTicks));
            var demand = SessionTiming.DemandMicros(settings, state);
            fx.DemandDelta = demand - DemandMicros;
            DemandMicros = demand;
        }

        SetStatus(PresenceSessionStatus.Active, null, ref fx);
        return SendPlan.None;
    }

    private SendPlan OnFailed(long version, bool clear, PresenceRequestException error, double jitter, long now, KeepAliveSettings settings, ref SessionEffects fx)
    {
        InFlight = false;
        LastError = error;
        fx.CompleteWaiters(version, error);
        if (Disposed)
        {
            return SendPlan.None;
        }

        fx.Outcome = error.IsTransient ? SendOutcome.Transient : SendOutcome.Permanent;
        fx.FirstFailure = RetryAttempt == 0;
        if (error.StatusCode == System.Net.HttpStatusCode.TooManyRequests && error.RetryAfter is { } throttled && throttled > TimeSpan.Zero)
        {
            // Throttling is per app: hold every session's refreshes and retries, not only this one's.
            fx.ThrottledFor = throttled;
        }

        if (!clear)
        {
            // A failed set may still have landed (a timeout after the service applied it): the lease that bounds
            // sign-off retries counts from the end of the last set sent, accepted or not.
            LastSetEndedTicks = now;
        }

        var superseded = Version != version;
        if (superseded)
        {
            // A newer desire waits: send it now, whatever became of the older one.
            fx.ScheduleAt(WorkPriority.StateChange, now, now);
        }

        if (clear)
        {
            return OnSignOffFailed(superseded, error, jitter, now, settings, ref fx);
        }

        if (!error.IsTransient)
        {
            fx.SetLog(SessionLog.Permanent, error);
            if (!superseded)
            {
                NextRefreshTicks = 0;
                Unkeep(ref fx);
            }

            SetStatus(PresenceSessionStatus.Failed, error, ref fx);
            return SendPlan.None;
        }

        RetryAttempt++;
        var retryIn = SessionTiming.RetryDelay(settings, RetryAttempt, jitter, error.RetryAfter, out var capped);
        var since = LastAcceptedTicks != 0 ? LastAcceptedTicks : DeadlineTicks - settings.SessionTimeout.Ticks;
        var unconfirmed = TimeSpan.FromTicks(now - since);
        var lapsed = now > DeadlineTicks;
        if (lapsed && !LapseCounted)
        {
            LapseCounted = true;
            fx.Lapse = true;
            fx.SetLog(SessionLog.Lapsed, error, unconfirmed, TimeSpan.FromTicks(DeadlineTicks - since));
        }
        else if (capped)
        {
            fx.SetLog(SessionLog.RetryAfterCapped, error, error.RetryAfter ?? default, retryIn);
        }
        else
        {
            var halfway = since + ((DeadlineTicks - since) / 2);
            fx.SetLog(!lapsed && now > halfway ? SessionLog.RetryingLong : SessionLog.Retrying, error, unconfirmed, retryIn);
        }

        if (!superseded)
        {
            // A desire not yet confirmed keeps its place with the state changes; a failed refresh is retried by deadline.
            var unconfirmedDesire = ConfirmedVersion != version;
            NextRefreshTicks = now + retryIn.Ticks;
            fx.ScheduleAt(
                unconfirmedDesire ? WorkPriority.StateChange : WorkPriority.Retry,
                NextRefreshTicks,
                unconfirmedDesire ? now + retryIn.Ticks : DeadlineTicks);
        }

        SetStatus(LapseCounted ? PresenceSessionStatus.Lapsed : PresenceSessionStatus.Retrying, error, ref fx);
        return SendPlan.None;
    }

    private SendPlan OnSignOffFailed(bool superseded, PresenceRequestException error, double jitter, long now, KeepAliveSettings settings, ref SessionEffects fx)
    {
        var leaseEnd = LastSetEndedTicks + settings.Lease.Ticks;
        if (superseded || !error.IsTransient)
        {
            fx.SetLog(SessionLog.SignOffFailed, error);
            if (!superseded)
            {
                SetStatus(PresenceSessionStatus.Failed, error, ref fx);
            }
        }
        else if (now >= leaseEnd)
        {
            fx.SetLog(SessionLog.SignOffEndedByLease, error);
            EndSignOffByLease(ref fx);
        }
        else
        {
            // One 503 on sign-off must not leave the user showing the old state for the rest of the lease (hours with a
            // long lease): retry like a set. The retry is due by the lease end at the latest; one that surfaces then is
            // not sent (OnSendDue).
            RetryAttempt++;
            var retryIn = SessionTiming.RetryDelay(settings, RetryAttempt, jitter, error.RetryAfter, out _);
            fx.SetLog(SessionLog.SignOffRetrying, error, retryIn, TimeSpan.FromTicks(leaseEnd - now));
            NextRefreshTicks = 0;
            fx.ScheduleAt(WorkPriority.StateChange, Math.Min(now + retryIn.Ticks, leaseEnd), now + retryIn.Ticks);
            SetStatus(PresenceSessionStatus.Retrying, error, ref fx);
        }

        return SendPlan.None;
    }

    private SendPlan OnDeadlinePassed(long now, ref SessionEffects fx)
    {
        if (!Kept || Disposed || LapseCounted || now < DeadlineTicks)
        {
            return SendPlan.None;
        }

        // It waited past its deadline for the budget, a throttling hold or the fleet's backoff: say so now, not only
        // when a send finally fails or lands.
        LapseCounted = true;
        fx.Lapse = true;
        if (Status == PresenceSessionStatus.Retrying && LastError is not null)
        {
            // Failing, and its next retry comes after the deadline: the lapse of a failing session (one Error, as ever).
            var since = LastAcceptedTicks != 0 ? LastAcceptedTicks : now;
            fx.SetLog(SessionLog.Lapsed, LastError, TimeSpan.FromTicks(now - since), TimeSpan.FromTicks(DeadlineTicks - since));
        }
        else
        {
            fx.SetLog(SessionLog.LapsedWaiting);
            fx.LogState = Desired;
        }

        SetStatus(PresenceSessionStatus.Lapsed, LastError, ref fx);
        return SendPlan.None;
    }

    private SendPlan OnStopped(ref SessionEffects fx)
    {
        InFlight = false;
        fx.CompleteWaiters(long.MaxValue, new ObjectDisposedException(nameof(IPresenceSessionManager)));
        return SendPlan.None;
    }

    private SendPlan OnDisposed(ref SessionEffects fx)
    {
        if (Disposed)
        {
            return SendPlan.None;
        }

        Disposed = true;
        fx.Unschedule = true;
        NextRefreshTicks = 0;
        Unkeep(ref fx);
        fx.CompleteWaiters(long.MaxValue, new ObjectDisposedException(nameof(IPresenceSession)));
        SetStatus(PresenceSessionStatus.Disposed, null, ref fx);
        return SendPlan.None;
    }

    /// <summary>Marks a sign-off that kept failing transiently as done: the lease has ended the session on the service.</summary>
    private void EndSignOffByLease(ref SessionEffects fx)
    {
        EverSent = false;
        RetryAttempt = 0;
        NextRefreshTicks = 0;
        Confirmed = null;

        // Callers of this clear were already failed with the send's error; any later one of the same desire is done.
        fx.CompleteWaiters(Version, null);
        fx.Log = fx.Log == SessionLog.None ? SessionLog.SignOffEndedByLease : fx.Log;
        fx.LogError ??= LastError;

        // The status event carries the last failure, so handlers can tell this from an accepted sign-off.
        SetStatus(PresenceSessionStatus.Cleared, LastError, ref fx);
    }

    private void Unkeep(ref SessionEffects fx)
    {
        if (Kept)
        {
            Kept = false;
            fx.KeptDelta = -1;
        }

        fx.DemandDelta = -DemandMicros;
        DemandMicros = 0;
    }

    private void SetStatus(PresenceSessionStatus status, PresenceRequestException? error, ref SessionEffects fx)
    {
        if (Status == status)
        {
            return;
        }

        fx.AddStatus(Status, status, error);
        Status = status;
    }
}

/// <summary>What happened to a session.</summary>
internal enum SessionEventKind
{
    /// <summary>The application asked for a state.</summary>
    Set,

    /// <summary>A state another process kept alive is taken over (distributed mode).</summary>
    Adopt,

    /// <summary>The application asked to sign off.</summary>
    Clear,

    /// <summary>The scheduler dispatched the session's item: send if there is something to send.</summary>
    SendDue,

    /// <summary>The service accepted a send.</summary>
    Accepted,

    /// <summary>A send failed.</summary>
    Failed,

    /// <summary>The session's deadline passed while its item waited.</summary>
    DeadlinePassed,

    /// <summary>The engine stopped with the send in flight.</summary>
    Stopped,

    /// <summary>The session was disposed.</summary>
    Disposed,
}

/// <summary>An event for <see cref="SessionState.Apply"/>.</summary>
internal readonly record struct SessionEvent(SessionEventKind Kind)
{
    public PresenceState? State { get; init; }

    public WorkPriority Priority { get; init; }

    public long Version { get; init; }

    public bool Clear { get; init; }

    public long DueTicks { get; init; }

    /// <summary>Gets the deadline of an <see cref="SessionEventKind.Adopt"/>: the earliest the service may fade or end the state.</summary>
    public long DeadlineTicks { get; init; }

    public PresenceRequestException? Error { get; init; }

    public double Jitter { get; init; }
}

/// <summary>A send the shell must start: which desire, and the grid point it was planned for.</summary>
internal readonly record struct SendPlan(bool Send, long Version, bool Clear, PresenceState? State, long PlannedDueTicks)
{
    public static SendPlan None => default;
}
