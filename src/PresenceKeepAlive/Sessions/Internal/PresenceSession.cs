using System.Diagnostics;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>
/// One user's app session: the shell around its <see cref="SessionState"/>. It holds the lock, turns calls and send
/// outcomes into events for the state's transition function, runs the one request in flight, and carries out the
/// effects each transition asks for (see <see cref="SessionEffects"/>).
/// </summary>
/// <remarks>
/// <para>
/// Last write wins: every <see cref="SetAsync"/> and <see cref="ClearAsync(CancellationToken)"/> records a new desire with the next
/// version. A send carries the latest desire at the moment it starts; a desire recorded while a send is in flight is
/// sent as soon as that send completes, ahead of refreshes. So no request carrying an older desire can start, let alone
/// land, after a newer one has.
/// </para>
/// <para>
/// Callers of <see cref="SetAsync"/> and <see cref="ClearAsync(CancellationToken)"/> wait for the first send whose version is at least
/// theirs: they complete when it is accepted and fail with its exception when it is not.
/// </para>
/// </remarks>
internal sealed partial class PresenceSession : IPresenceSession, IScheduledWork
{
    private readonly PresenceSessionManager _manager;
    private readonly SessionState _state = new();
    private SessionWaiters? _waiters;
    private SessionEventQueue? _events;
    private long _scheduleToken;
    private long _eventSequence;
    private int _disposing;
    private Task? _disposal;

    public PresenceSession(string userId, PresenceSessionManager manager)
    {
        UserId = userId;
        _manager = manager;
    }

    public event EventHandler<PresenceSessionStatusChangedEventArgs>? StatusChanged;

    public string UserId { get; }

    public PresenceState? DesiredState
    {
        get
        {
            lock (Lock)
            {
                return _state.DesiredState;
            }
        }
    }

    public PresenceSessionStatus Status
    {
        get
        {
            lock (Lock)
            {
                return _state.Status;
            }
        }
    }

    public DateTimeOffset? LastConfirmedAt
    {
        get
        {
            lock (Lock)
            {
                // Engine time (monotonic, see KeepAliveClock): after a wall-clock step it differs from the wall clock.
                return _state.LastAcceptedTicks == 0 ? null : KeepAliveClock.ToDateTimeOffset(_state.LastAcceptedTicks);
            }
        }
    }

    public DateTimeOffset? NextRefreshAt
    {
        get
        {
            lock (Lock)
            {
                return _state.NextRefreshTicks == 0 ? null : KeepAliveClock.ToDateTimeOffset(_state.NextRefreshTicks);
            }
        }
    }

    public PresenceRequestException? LastError
    {
        get
        {
            lock (Lock)
            {
                return _state.LastError;
            }
        }
    }

    /// <summary>Gets a value indicating whether a request of this session is in flight (for tests and diagnostics).</summary>
    internal bool IsSending
    {
        get
        {
            lock (Lock)
            {
                return _state.InFlight;
            }
        }
    }

    /// <summary>Gets the version of the latest desire (for tests and diagnostics).</summary>
    internal long Version
    {
        get
        {
            lock (Lock)
            {
                return _state.Version;
            }
        }
    }

    long IScheduledWork.ScheduleToken => Volatile.Read(ref _scheduleToken);

    /// <summary>Gets the session's lock: its state, which nothing outside the session can reach.</summary>
    private object Lock => _state;

    private KeepAliveSettings Settings => _manager.Settings;

    public Task SetAsync(PresenceState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var protocol = Settings.Protocol;
        if (protocol == PresenceProtocol.Patch && state == PresenceState.Offline)
        {
            // The seed's Offline/Offline is its sign-off, not a state to keep alive.
            return ClearAsync(cancellationToken);
        }

        if (!state.IsSupportedBy(protocol))
        {
            throw new ArgumentException(
                $"{state} cannot be set with the {protocol} protocol. Allowed: {PresenceState.Describe(PresenceState.ValuesFor(protocol))}." +
                (state == PresenceState.Offline ? " To sign off, call ClearAsync." : string.Empty),
                nameof(state));
        }

        var fx = default(SessionEffects);
        Task task;
        lock (Lock)
        {
            ObjectDisposedException.ThrowIf(_state.Disposed || _state.Closing, this);
            var now = _manager.NowTicks;
            _state.Apply(new SessionEvent(SessionEventKind.Set) { State = state }, now, Settings, ref fx);

            // The send that carries this desire is a child of the caller's span (it runs on an engine thread).
            task = (_waiters ??= new SessionWaiters()).Add(_state.Version, Activity.Current?.Context ?? default);
            Commit(ref fx, now);
        }

        // The caller's own state change may be sent on its thread (see KeepAliveScheduler.Pump(IScheduledWork)).
        Run(ref fx, callersOwn: true);
        return task.WaitAsync(cancellationToken);
    }

    public Task ClearAsync(CancellationToken cancellationToken = default) => ClearAsync(cancellationToken, sendOnCallersThread: true);

    /// <summary>Signs off, like <see cref="ClearAsync(CancellationToken)"/>.</summary>
    /// <param name="cancellationToken">Stops the wait (not the sign-off).</param>
    /// <param name="sendOnCallersThread">
    /// Whether the sign-off may be sent on the calling thread when it can go at once (a user's own call); the manager's
    /// sign-off of every session passes <see langword="false"/>, so that its sends go out in parallel on engine threads.
    /// </param>
    internal Task ClearAsync(CancellationToken cancellationToken, bool sendOnCallersThread)
    {
        var fx = default(SessionEffects);
        Task task;
        lock (Lock)
        {
            ObjectDisposedException.ThrowIf(_state.Disposed, this);
            var now = _manager.NowTicks;
            _state.Apply(new SessionEvent(SessionEventKind.Clear), now, Settings, ref fx);
            task = fx.Complete && fx.CompleteError is null && fx.CompleteUpTo == _state.Version
                ? Task.CompletedTask
                : (_waiters ??= new SessionWaiters()).Add(_state.Version, Activity.Current?.Context ?? default);
            Commit(ref fx, now);
        }

        Run(ref fx, sendOnCallersThread);
        return task.WaitAsync(cancellationToken);
    }

    /// <remarks>Concurrent and repeated calls all wait for the one disposal.</remarks>
    public ValueTask DisposeAsync() => DisposeOnce.Run(ref _disposal, DisposeCoreAsync);

    private async Task DisposeCoreAsync()
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0)
        {
            return;
        }

        bool signOff;
        lock (Lock)
        {
            // From here on SetAsync is refused: a state accepted now would land after the sign-off and never be refreshed.
            _state.Closing = true;
            // A session released (distributed mode: another process took it over) or already disposed has nothing to sign off.
            signOff = Settings.SignOffOnDispose && !_state.Disposed && (_state.EverSent || _state.InFlight) && !(_state.WantsClear && _state.Status == PresenceSessionStatus.Cleared);
        }

        if (signOff)
        {
            try
            {
                using var giveUp = new CancellationTokenSource(Settings.SignOffOnDisposeLimit, _manager.TimeProvider);
                await ClearAsync(giveUp.Token, sendOnCallersThread: false).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is PresenceRequestException or ObjectDisposedException or OperationCanceledException)
            {
                // Best effort: the service ends the session when its lease expires.
                Safe(static (s, e) => Log.SignOffOnDisposeFailed(s._manager.Logger, s.UserId, e), this, ex);
            }
        }

        MarkDisposed();
        _manager.Remove(this);
    }

    /// <summary>
    /// Takes over <paramref name="state"/> from another process that kept it alive and has stopped (distributed mode): the
    /// service accepted it at <paramref name="acceptedAt"/> (the first acceptance of that state; later refreshes are not
    /// known here), and the previous holder stopped at most <paramref name="stoppedWithin"/> ago. The deadline assumed is
    /// the later of the state's lifetime after <paramref name="acceptedAt"/> and what a holder refreshing on time leaves:
    /// one refresh margin after it stopped. The refresh is sent by that deadline, in deadline order with the others. With
    /// <paramref name="acceptedAt"/> <see langword="null"/> (never confirmed) the state is sent at once, as a state change.
    /// Nobody waits for the send: its outcome shows in <see cref="Status"/> and the events.
    /// </summary>
    /// <param name="state">The state the application asked for.</param>
    /// <param name="acceptedAt">When the service first accepted it, or <see langword="null"/>.</param>
    /// <param name="stoppedWithin">How long ago the previous holder may have stopped refreshing, at most.</param>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    internal void Adopt(PresenceState state, DateTimeOffset? acceptedAt, TimeSpan stoppedWithin)
    {
        ArgumentNullException.ThrowIfNull(state);
        var fx = default(SessionEffects);
        lock (Lock)
        {
            ObjectDisposedException.ThrowIf(_state.Disposed || _state.Closing, this);
            var now = _manager.NowTicks;
            long accepted = 0;
            long deadline = 0;
            if (acceptedAt is { } at)
            {
                accepted = at.UtcTicks;
                var byLifetime = SessionTiming.Deadline(Settings, state, accepted);
                var byHolder = now + Settings.RefreshMargin.Ticks - Math.Max(0, stoppedWithin.Ticks);
                deadline = Math.Max(byLifetime, byHolder);
            }

            _state.Apply(new SessionEvent(SessionEventKind.Adopt) { State = state, DueTicks = accepted, DeadlineTicks = deadline }, now, Settings, ref fx);
            Commit(ref fx, now);
        }

        Run(ref fx);
    }

    /// <summary>
    /// Stops the session without signing off and leaves its manager (distributed mode: another process takes it over,
    /// or its holder is shutting down). Nothing is sent; pending callers fail with <see cref="ObjectDisposedException"/>.
    /// </summary>
    internal void Release()
    {
        MarkDisposed();
        _manager.Remove(this);
    }

    /// <summary>Refuses further <see cref="SetAsync"/> calls: the manager is signing every session off before disposing.</summary>
    internal void BeginClosing()
    {
        lock (Lock)
        {
            _state.Closing = true;
        }
    }

    /// <summary>Stops the session for good without signing off; pending callers fail with <see cref="ObjectDisposedException"/>.</summary>
    internal void MarkDisposed() => Raise(new SessionEvent(SessionEventKind.Disposed));

    async Task IScheduledWork.RunAsync(long token, WorkPriority priority, SendTicket ticket, CancellationToken cancellationToken)
    {
        var fx = default(SessionEffects);
        SendPlan plan;
        ActivityContext parent = default;
        lock (Lock)
        {
            if (token != _scheduleToken)
            {
                return;
            }

            var now = _manager.NowTicks;
            plan = _state.Apply(new SessionEvent(SessionEventKind.SendDue) { Priority = priority }, now, Settings, ref fx);
            if (plan.Send && priority == WorkPriority.StateChange && _waiters is { } waiters)
            {
                // A state change's span is a child of its caller's; refreshes and retries are root spans.
                parent = waiters.ParentOf(plan.Version);
            }

            Commit(ref fx, now);
        }

        Run(ref fx);
        if (!plan.Send)
        {
            return;
        }

        var protocol = _manager.Protocol;
        PresenceSendScope.Begin(ticket);
        PresenceRequestException? failure = null;
        try
        {
            if (plan.Clear)
            {
                await protocol.ClearPresenceAsync(UserId, parent, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await protocol.SetPresenceAsync(UserId, plan.State!, parent, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Raise(new SessionEvent(SessionEventKind.Stopped));
            return;
        }
        catch (PresenceRequestException ex)
        {
            failure = ex;
        }
        catch (Exception ex)
        {
            // The protocol promises PresenceRequestException; anything else is wrapped so callers see one type.
            var permanent = ex is ArgumentException or InvalidOperationException or NotSupportedException;
            failure = new PresenceRequestException($"The presence request for '{UserId}' failed: {ex.Message}", ex)
            {
                StatusCode = permanent ? System.Net.HttpStatusCode.BadRequest : null,
                Operation = plan.Clear ? "clearPresence" : "setPresence",
                UserId = UserId,
            };
        }
        finally
        {
            PresenceSendScope.Begin(null);
        }

        // The scheduler pumps as soon as this returns (the send's end frees a place in flight): no pump of its own here.
        Raise(
            failure is null
                ? new SessionEvent(SessionEventKind.Accepted) { Version = plan.Version, Clear = plan.Clear, DueTicks = plan.PlannedDueTicks, Jitter = _manager.NextPhase() }
                : new SessionEvent(SessionEventKind.Failed) { Version = plan.Version, Clear = plan.Clear, Error = failure, Jitter = _manager.NextJitterFraction() },
            pump: false);
    }

    void IScheduledWork.OnDeadlinePassed(long token)
    {
        var fx = default(SessionEffects);
        lock (Lock)
        {
            if (token != _scheduleToken)
            {
                return;
            }

            var now = _manager.NowTicks;
            _state.Apply(new SessionEvent(SessionEventKind.DeadlinePassed), now, Settings, ref fx);
            Commit(ref fx, now);
        }

        Run(ref fx);
    }

    /// <summary>Applies one event and carries out its effects.</summary>
    /// <param name="e">The event.</param>
    /// <param name="pump">Whether to pump after scheduling; a send's own outcome leaves it to the scheduler, which pumps when the send ends.</param>
    private void Raise(in SessionEvent e, bool pump = true)
    {
        var fx = default(SessionEffects);
        lock (Lock)
        {
            var now = _manager.NowTicks;
            _state.Apply(e, now, Settings, ref fx);
            Commit(ref fx, now);
        }

        Run(ref fx, pump: pump);
    }

    /// <summary>The effects that must happen under the lock, in transition order: scheduling, waiters taken, events queued.</summary>
    private void Commit(ref SessionEffects fx, long now)
    {
        if (fx.Schedule)
        {
            var token = ++_scheduleToken;
            if (!_manager.Scheduler.Schedule(this, token, fx.Priority, fx.DueTicks, fx.DeadlineTicks, fx.OrderTicks, now))
            {
                // The engine has stopped: nothing will be sent.
                _state.NextRefreshTicks = 0;
                fx.CompleteWaiters(long.MaxValue, new ObjectDisposedException(nameof(IPresenceSessionManager)));
                fx.Schedule = false;
            }
        }
        else if (fx.Unschedule)
        {
            _scheduleToken++;
        }

        if (fx.Complete && _waiters is { } waiters)
        {
            waiters.TakeUpTo(fx.CompleteUpTo, fx.CompleteError, ref fx);
            if (waiters.Count == 0)
            {
                _waiters = null;
            }
        }

        for (var i = 0; i < fx.StatusChanges; i++)
        {
            var change = i == 0 ? fx.First : fx.Second;
            (_events ??= new SessionEventQueue()).Enqueue(
                new PresenceSessionStatusChangedEventArgs(UserId, change.From, change.To, change.Error, ++_eventSequence));
        }
    }

    /// <summary>The effects after the lock, in an order that no failing callback can break: waiters first, engine bookkeeping, logs, events, pump.</summary>
    /// <param name="fx">The effects.</param>
    /// <param name="callersOwn">
    /// Whether this runs inside the session's own <c>SetAsync</c>/<c>ClearAsync</c>: then a state change of this session
    /// that can go at once is sent on the calling thread (its own work, in its own context; nobody else's).
    /// </param>
    /// <param name="pump">Whether to pump after scheduling (see <see cref="Raise"/>).</param>
    private void Run(ref SessionEffects fx, bool callersOwn = false, bool pump = true)
    {
        if (fx.Completion is { } completion)
        {
            Complete(completion, fx.CompletionError);
            if (fx.MoreCompletions is { } more)
            {
                foreach (var next in more)
                {
                    Complete(next, fx.CompletionError);
                }
            }
        }

        if (fx.KeptDelta != 0 || fx.DemandDelta != 0)
        {
            _manager.OnKeptChanged(fx.KeptDelta, fx.DemandDelta);
        }

        if (fx.Outcome is { } outcome)
        {
            _manager.Scheduler.ReportOutcome(outcome, fx.ThrottledFor, fx.FirstFailure);
            if (outcome == SendOutcome.Transient)
            {
                // Failures add retries to the load: the capacity check counts them.
                _manager.CheckCapacity();
            }
        }

        if (fx.ThrottledFor > TimeSpan.Zero)
        {
            _manager.OnThrottled(fx.ThrottledFor);
        }

        if (fx.Lapse)
        {
            Safe(static (m, _) => m.SessionLapsed(), _manager.Metrics, (object?)null);
        }

        if (fx.Log != SessionLog.None)
        {
            Safe(static (s, f) => s.WriteLog(f), this, fx);
        }

        if (Volatile.Read(ref _events) is { } events)
        {
            events.Deliver(RaiseStatusChanged);
            lock (Lock)
            {
                // An idle session keeps no queue (100,000 sessions would keep 8 MB of them); events are queued under
                // this lock, so a later one goes to a new queue and nothing is reordered.
                if (ReferenceEquals(_events, events) && events.IsIdle)
                {
                    _events = null;
                }
            }
        }

        if (fx.Schedule && pump)
        {
            _manager.Scheduler.Pump(callersOwn ? this : null);
        }
    }

    private static void Complete(TaskCompletionSource completion, Exception? error)
    {
        if (error is null)
        {
            completion.TrySetResult();
        }
        else if (completion.TrySetException(error))
        {
            // Observed here: a caller that stopped waiting (WaitAsync with its token) or never awaited must not turn the
            // failure into an UnobservedTaskException. Those who await still get it.
            _ = completion.Task.Exception;
        }
    }

    private void RaiseStatusChanged(PresenceSessionStatusChangedEventArgs e)
    {
        try
        {
            StatusChanged?.Invoke(this, e);
        }
        catch (Exception ex)
        {
            Safe(static (s, x) => Log.StatusChangedHandlerFailed(s._manager.Logger, s.UserId, x), this, ex);
        }

        _manager.OnStatusChanged(this, e);
    }

    private void WriteLog(in SessionEffects fx)
    {
        var logger = _manager.Logger;
        var error = fx.LogError;
        var status = (int?)error?.StatusCode;
        switch (fx.Log)
        {
            case SessionLog.Started:
                Log.SessionStarted(logger, UserId, fx.LogState!);
                Log.StateSet(logger, UserId, fx.LogState!, fx.LogVersion);
                break;
            case SessionLog.Adopted:
                Log.SessionAdopted(logger, UserId, fx.LogState!, fx.LogVersion);
                break;
            case SessionLog.Set:
                Log.StateSet(logger, UserId, fx.LogState!, fx.LogVersion);
                break;
            case SessionLog.Retrying:
                Log.SendFailedWillRetry(logger, UserId, status, fx.LogB, error!);
                break;
            case SessionLog.RetryingLong:
                Log.SendFailedRetrying(logger, UserId, fx.LogA, Settings.SessionTimeout, status, fx.LogB, error!);
                break;
            case SessionLog.RetryAfterCapped:
                Log.RetryAfterCapped(logger, UserId, fx.LogA, fx.LogB);
                break;
            case SessionLog.Lapsed:
                Log.SessionLapsed(logger, UserId, fx.LogA, fx.LogB, DesiredState, error!);
                break;
            case SessionLog.LapsedWaiting:
                Log.DeadlinePassedWaiting(logger, UserId, _manager.Scheduler.BackingOff ? "the sessions are backing off from a failing service" : "the rate budget or a throttling hold", fx.LogState);
                break;
            case SessionLog.Permanent:
                Log.SessionFailed(logger, UserId, status, error?.ErrorCode, error!);
                break;
            case SessionLog.Recovered:
                Log.SessionRecovered(logger, UserId, fx.LogA);
                break;
            case SessionLog.RefreshedLate:
                Log.RefreshedLate(logger, UserId, fx.LogA, fx.LogB);
                break;
            case SessionLog.SignedOff:
                Log.SignedOff(logger, UserId);
                break;
            case SessionLog.SignOffFailed:
                Log.SignOffFailed(logger, UserId, status, error!);
                break;
            case SessionLog.SignOffRetrying:
                Log.SignOffFailedWillRetry(logger, UserId, status, fx.LogA, fx.LogB, error!);
                break;
            case SessionLog.SignOffEndedByLease:
                Log.SignOffEndedByLease(logger, UserId, Settings.Lease, error);
                break;
        }
    }

    /// <summary>Runs a log or metric call so that a failing provider or listener cannot break the effects that follow.</summary>
    private static void Safe<TTarget, TArg>(Action<TTarget, TArg> action, TTarget target, TArg arg)
    {
        try
        {
            action(target, arg);
        }
        catch (Exception)
        {
            // Logging and metrics are best effort; the engine's work must go on.
        }
    }
}
