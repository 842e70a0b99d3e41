using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>
/// One user's app session. Holds the desired state with a version, and at most one request in flight.
/// </summary>
/// <remarks>
/// <para>
/// Last write wins: every <see cref="SetAsync"/> and <see cref="ClearAsync"/> records a new desire with the next
/// version. A send carries the latest desire at the moment it starts; a desire recorded while a send is in flight
/// is sent as soon as that send completes, ahead of refreshes. So no request carrying an older desire can start, let
/// alone land, after a newer one has.
/// </para>
/// <para>
/// Callers of <see cref="SetAsync"/> and <see cref="ClearAsync"/> wait for the first send whose version is at least
/// theirs: they complete when it is accepted and fail with its exception when it is not. A caller whose desire was
/// superseded before it was sent therefore completes with the newer desire's outcome.
/// </para>
/// </remarks>
internal sealed class PresenceSession : IPresenceSession, IScheduledWork
{
    private readonly object _gate = new();
    private readonly PresenceSessionManager _manager;
    private PresenceState? _desired;
    private bool _wantsClear;
    private long _version;
    private bool _inFlight;
    private long _scheduleToken;
    private PresenceSessionStatus _status;
    private long _lastConfirmedTicks;
    private long _lapseReferenceTicks;
    private long _nextRefreshTicks;
    private long _lastSetEndedTicks;
    private PresenceRequestException? _lastError;
    private int _retryAttempt;
    private bool _lapseCounted;
    private bool _everSent;
    private bool _kept;
    private bool _disposed;
    private bool _closing;
    private int _disposing;
    private Task? _disposal;
    private List<Waiter>? _waiters;

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
            lock (_gate)
            {
                return _wantsClear ? null : _desired;
            }
        }
    }

    public PresenceSessionStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    public DateTimeOffset? LastConfirmedAt
    {
        get
        {
            lock (_gate)
            {
                // Engine time (monotonic, see KeepAliveClock): after a wall-clock step it differs from the wall clock.
                return _lastConfirmedTicks == 0 ? null : KeepAliveClock.ToDateTimeOffset(_lastConfirmedTicks);
            }
        }
    }

    public DateTimeOffset? NextRefreshAt
    {
        get
        {
            lock (_gate)
            {
                // Engine time, like LastConfirmedAt: consistent with the intervals waited, not with a stepped wall clock.
                return _nextRefreshTicks == 0 ? null : KeepAliveClock.ToDateTimeOffset(_nextRefreshTicks);
            }
        }
    }

    public PresenceRequestException? LastError
    {
        get
        {
            lock (_gate)
            {
                return _lastError;
            }
        }
    }

    /// <summary>Gets a value indicating whether a request of this session is in flight (for tests and diagnostics).</summary>
    internal bool IsSending
    {
        get
        {
            lock (_gate)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>Gets the version of the latest desire (for tests and diagnostics).</summary>
    internal long Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    long IScheduledWork.ScheduleToken => Volatile.Read(ref _scheduleToken);

    private KeepAliveSettings Settings => _manager.Settings;

    public Task SetAsync(PresenceState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var protocol = Settings.Protocol;
        if (!state.IsSupportedBy(protocol))
        {
            throw new ArgumentException(
                $"{state} cannot be set with the {protocol} protocol. Allowed: {PresenceState.Describe(PresenceState.ValuesFor(protocol))}.",
                nameof(state));
        }

        var fx = default(Effects);
        Task task;
        long version;
        bool started;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed || _closing, this);
            var now = _manager.NowTicks;
            started = !_kept;
            if (started)
            {
                _kept = true;
                fx.KeptDelta = 1;
                _lapseReferenceTicks = now;
                _lapseCounted = false;
                _retryAttempt = 0;
            }

            _desired = state;
            _wantsClear = false;
            version = ++_version;
            task = AddWaiter(version);
            if (!_inFlight)
            {
                ScheduleLocked(WorkPriority.StateChange, now, now, ref fx);
            }
        }

        if (started)
        {
            Log.SessionStarted(_manager.Logger, UserId, state);
        }

        Log.StateSet(_manager.Logger, UserId, state, version);
        Apply(ref fx);
        return task.WaitAsync(cancellationToken);
    }

    public Task ClearAsync(CancellationToken cancellationToken = default)
    {
        var fx = default(Effects);
        Task task;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _manager.NowTicks;
            _wantsClear = true;
            _retryAttempt = 0;
            var version = ++_version;
            _nextRefreshTicks = 0;
            if (_kept)
            {
                _kept = false;
                fx.KeptDelta = -1;
            }

            if (!_everSent && !_inFlight)
            {
                // Nothing of ours is on the service: signing off is a no-op.
                _scheduleToken++;
                CompleteWaitersLocked(version, null, ref fx);
                SetStatusLocked(PresenceSessionStatus.Cleared, null, ref fx);
                task = Task.CompletedTask;
            }
            else
            {
                task = AddWaiter(version);
                if (!_inFlight)
                {
                    ScheduleLocked(WorkPriority.StateChange, now, now, ref fx);
                }
            }
        }

        Apply(ref fx);
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
        lock (_gate)
        {
            // From here on SetAsync is refused: a state accepted now would land after the sign-off and never be refreshed.
            _closing = true;
            signOff = Settings.SignOffOnDispose && (_everSent || _inFlight) && !(_wantsClear && _status == PresenceSessionStatus.Cleared);
        }

        if (signOff)
        {
            try
            {
                using var giveUp = new CancellationTokenSource(Settings.SignOffOnDisposeLimit, _manager.TimeProvider);
                await ClearAsync(giveUp.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is PresenceRequestException or ObjectDisposedException or OperationCanceledException)
            {
                // Best effort: the service ends the session when its lease expires.
                Log.SignOffOnDisposeFailed(_manager.Logger, UserId, ex);
            }
        }

        MarkDisposed();
        _manager.Remove(this);
    }

    /// <summary>Refuses further <see cref="SetAsync"/> calls: the manager is signing every session off before disposing.</summary>
    internal void BeginClosing()
    {
        lock (_gate)
        {
            _closing = true;
        }
    }

    /// <summary>Stops the session for good without signing off; pending callers fail with <see cref="ObjectDisposedException"/>.</summary>
    internal void MarkDisposed()
    {
        var fx = default(Effects);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _scheduleToken++;
            _nextRefreshTicks = 0;
            if (_kept)
            {
                _kept = false;
                fx.KeptDelta = -1;
            }

            CompleteWaitersLocked(long.MaxValue, new ObjectDisposedException(nameof(IPresenceSession)), ref fx);
            SetStatusLocked(PresenceSessionStatus.Disposed, null, ref fx);
        }

        Apply(ref fx);
    }

    async Task IScheduledWork.RunAsync(long token, WorkPriority priority, CancellationToken cancellationToken)
    {
        PresenceState? state;
        bool clear;
        long version;
        var fx = default(Effects);
        var leaseEnded = false;
        PresenceRequestException? lastError = null;
        lock (_gate)
        {
            if (token != _scheduleToken || _inFlight || _disposed)
            {
                return;
            }

            version = _version;
            clear = _wantsClear;
            state = _desired;
            if (clear && priority == WorkPriority.Retry && _manager.NowTicks >= SignOffLeaseEndLocked())
            {
                // A sign-off retry that surfaces after the lease (its backoff, Retry-After or the budget held it
                // that long): the service has ended the session, so sending it would only spend budget.
                leaseEnded = true;
                lastError = _lastError;
                EndSignOffByLeaseLocked(version, ref fx);
            }
            else
            {
                _inFlight = true;
                _everSent = true;
            }
        }

        if (leaseEnded)
        {
            Log.SignOffEndedByLease(_manager.Logger, UserId, Settings.Lease, lastError);
            Apply(ref fx);
            return;
        }

        var protocol = _manager.Protocol;

        var ticket = new SendTicket(_manager.Scheduler.Budget, reserved: true, retriesAllowed: true, _manager.TimeProvider.GetTimestamp());
        PresenceSendScope.Begin(ticket);
        try
        {
            if (clear)
            {
                await protocol.ClearPresenceAsync(UserId, default, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await protocol.SetPresenceAsync(UserId, state!, default, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            OnStopped();
            return;
        }
        catch (PresenceRequestException ex)
        {
            OnFailed(version, clear, ex);
            return;
        }
        catch (Exception ex)
        {
            // The protocol promises PresenceRequestException; anything else is wrapped so callers see one type.
            var permanent = ex is ArgumentException or InvalidOperationException or NotSupportedException;
            var wrapped = new PresenceRequestException($"The presence request for '{UserId}' failed: {ex.Message}", ex)
            {
                StatusCode = permanent ? System.Net.HttpStatusCode.BadRequest : null,
                Operation = clear ? "clearPresence" : "setPresence",
                UserId = UserId,
            };
            OnFailed(version, clear, wrapped);
            return;
        }
        finally
        {
            ticket.Complete();
        }

        OnSucceeded(version, clear);
    }

    private void OnSucceeded(long version, bool clear)
    {
        var fx = default(Effects);
        var late = TimeSpan.Zero;
        var recovered = TimeSpan.Zero;
        lock (_gate)
        {
            _inFlight = false;
            CompleteWaitersLocked(version, null, ref fx);
            if (_disposed)
            {
                Apply(ref fx);
                return;
            }

            var now = _manager.NowTicks;
            _lastError = null;
            _retryAttempt = 0;
            if (clear)
            {
                _everSent = false;
                if (_version == version)
                {
                    _nextRefreshTicks = 0;
                    SetStatusLocked(PresenceSessionStatus.Cleared, null, ref fx);
                }
                else
                {
                    ScheduleLocked(WorkPriority.StateChange, now, now, ref fx);
                }
            }
            else
            {
                var unconfirmed = TimeSpan.FromTicks(now - _lapseReferenceTicks);
                if (_status == PresenceSessionStatus.Active && unconfirmed > Settings.SessionTimeout && !_lapseCounted)
                {
                    // No failure, but the refresh came too late (budget over capacity): still a lapse.
                    late = unconfirmed;
                    _manager.Metrics.SessionLapsed();
                }
                else if (_status is PresenceSessionStatus.Retrying or PresenceSessionStatus.Lapsed)
                {
                    recovered = unconfirmed;
                }

                _lastConfirmedTicks = now;
                _lastSetEndedTicks = now;
                _lapseReferenceTicks = now;
                _lapseCounted = false;
                if (_version != version)
                {
                    ScheduleLocked(WorkPriority.StateChange, now, now, ref fx);
                }
                else if (_kept)
                {
                    var due = now + _manager.NextRefreshDelayTicks();
                    ScheduleLocked(WorkPriority.Refresh, due, now + Settings.SessionTimeout.Ticks, ref fx);
                }

                SetStatusLocked(PresenceSessionStatus.Active, null, ref fx);
            }
        }

        if (clear)
        {
            Log.SignedOff(_manager.Logger, UserId);
        }
        else if (late > TimeSpan.Zero)
        {
            Log.RefreshedLate(_manager.Logger, UserId, late, Settings.SessionTimeout);
        }
        else if (recovered > TimeSpan.Zero)
        {
            Log.SessionRecovered(_manager.Logger, UserId, recovered);
        }

        Apply(ref fx);
    }

    private void OnFailed(long version, bool clear, PresenceRequestException error)
    {
        var fx = default(Effects);
        var logKind = FailureLog.None;
        TimeSpan unconfirmed = default, retryIn = default, leaseLeft = default;
        PresenceState? desired;
        lock (_gate)
        {
            _inFlight = false;
            _lastError = error;
            desired = _desired;
            CompleteWaitersLocked(version, error, ref fx);
            if (_disposed)
            {
                Apply(ref fx);
                return;
            }

            var now = _manager.NowTicks;
            if (!clear)
            {
                // A failed set may still have landed (a timeout after the service applied it): the lease that
                // bounds sign-off retries counts from the end of the last set sent, accepted or not.
                _lastSetEndedTicks = now;
            }

            var superseded = _version != version;
            if (superseded)
            {
                // A newer desire waits: send it now, whatever became of the older one.
                ScheduleLocked(WorkPriority.StateChange, now, now, ref fx);
            }

            if (clear)
            {
                var leaseEnd = SignOffLeaseEndLocked();
                if (superseded || !error.IsTransient)
                {
                    logKind = FailureLog.SignOff;
                    if (!superseded)
                    {
                        SetStatusLocked(PresenceSessionStatus.Failed, error, ref fx);
                    }
                }
                else if (now >= leaseEnd)
                {
                    logKind = FailureLog.SignOffEndedByLease;
                    EndSignOffByLeaseLocked(version, ref fx);
                }
                else
                {
                    // One 503 on sign-off must not leave the user showing the old state for the rest of the lease
                    // (hours with a long lease): retry like a set, with the same backoff and Retry-After rules. The
                    // retry is due by the lease end at the latest; one that surfaces then is not sent (RunAsync).
                    logKind = FailureLog.SignOffRetrying;
                    _retryAttempt++;
                    retryIn = RetryDelay(error);
                    leaseLeft = TimeSpan.FromTicks(leaseEnd - now);
                    ScheduleLocked(WorkPriority.Retry, Math.Min(now + retryIn.Ticks, leaseEnd), leaseEnd, ref fx);

                    // Nothing is refreshed after a sign-off: the retry is not a refresh.
                    _nextRefreshTicks = 0;
                    SetStatusLocked(PresenceSessionStatus.Retrying, error, ref fx);
                }
            }
            else if (!error.IsTransient)
            {
                logKind = FailureLog.Permanent;
                if (!superseded && _kept)
                {
                    _kept = false;
                    fx.KeptDelta = -1;
                    _nextRefreshTicks = 0;
                }

                SetStatusLocked(PresenceSessionStatus.Failed, error, ref fx);
            }
            else
            {
                _retryAttempt++;
                unconfirmed = TimeSpan.FromTicks(now - _lapseReferenceTicks);
                var lapsed = unconfirmed > Settings.SessionTimeout;
                retryIn = RetryDelay(error);
                if (lapsed && !_lapseCounted)
                {
                    _lapseCounted = true;
                    _manager.Metrics.SessionLapsed();
                    logKind = FailureLog.Lapsed;
                }
                else
                {
                    logKind = !lapsed && unconfirmed > Settings.SessionTimeout / 2 ? FailureLog.RetryingLong : FailureLog.Retrying;
                }

                if (!superseded)
                {
                    ScheduleLocked(WorkPriority.Retry, now + retryIn.Ticks, _lapseReferenceTicks + Settings.SessionTimeout.Ticks, ref fx);
                }

                SetStatusLocked(lapsed ? PresenceSessionStatus.Lapsed : PresenceSessionStatus.Retrying, error, ref fx);
            }
        }

        if (error.StatusCode == System.Net.HttpStatusCode.TooManyRequests && error.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero)
        {
            // Throttling is per app: hold every session's sends, not only this one's retry.
            _manager.OnThrottled(retryAfter);
        }

        var status = (int?)error.StatusCode;
        var logger = _manager.Logger;
        switch (logKind)
        {
            case FailureLog.SignOff:
                Log.SignOffFailed(logger, UserId, status, error);
                break;
            case FailureLog.SignOffRetrying:
                Log.SignOffFailedWillRetry(logger, UserId, status, retryIn, leaseLeft, error);
                break;
            case FailureLog.SignOffEndedByLease:
                Log.SignOffEndedByLease(logger, UserId, Settings.Lease, error);
                break;
            case FailureLog.Permanent:
                Log.SessionFailed(logger, UserId, status, error.ErrorCode, error);
                break;
            case FailureLog.Lapsed:
                Log.SessionLapsed(logger, UserId, unconfirmed, Settings.SessionTimeout, desired, error);
                break;
            case FailureLog.RetryingLong:
                Log.SendFailedRetrying(logger, UserId, unconfirmed, Settings.SessionTimeout, status, retryIn, error);
                break;
            case FailureLog.Retrying:
                Log.SendFailedWillRetry(logger, UserId, status, retryIn, error);
                break;
        }

        Apply(ref fx);
    }

    private void OnStopped()
    {
        var fx = default(Effects);
        lock (_gate)
        {
            _inFlight = false;
            CompleteWaitersLocked(long.MaxValue, new ObjectDisposedException(nameof(IPresenceSessionManager)), ref fx);
        }

        Apply(ref fx);
    }

    private TimeSpan RetryDelay(PresenceRequestException error)
    {
        var settings = Settings;
        var exponent = Math.Min(_retryAttempt - 1, 16);
        var ticks = Math.Min(settings.RetryMaxDelay.Ticks, settings.RetryBaseDelay.Ticks << exponent);

        // Up to 20% less, so that sessions failing together do not retry together.
        ticks -= (long)(ticks * 0.2 * _manager.NextJitterFraction());
        if (error.RetryAfter is { } retryAfter && retryAfter.Ticks > ticks)
        {
            // Honoured, up to one session timeout: a proxy's or a skewed clock's huge value must not park a session
            // for hours (past one timeout the state has lapsed anyway, and a retry that is throttled again costs one request).
            ticks = Math.Min(retryAfter.Ticks, settings.SessionTimeout.Ticks);
        }

        return TimeSpan.FromTicks(Math.Max(ticks, TimeSpan.TicksPerMillisecond));
    }

    /// <summary>
    /// Returns when the service ends the session by itself: one lease after the last set. Sign-off retries stop
    /// there, since nothing of ours is left on the service to clear.
    /// </summary>
    private long SignOffLeaseEndLocked() => _lastSetEndedTicks + Settings.Lease.Ticks;

    /// <summary>Marks a sign-off that kept failing transiently as done: the lease has ended the session on the service.</summary>
    private void EndSignOffByLeaseLocked(long version, ref Effects fx)
    {
        _everSent = false;
        _retryAttempt = 0;
        _nextRefreshTicks = 0;

        // Callers of this clear were already failed with the send's error; any later one of the same desire is done.
        CompleteWaitersLocked(version, null, ref fx);

        // The status event carries the last failure, so handlers can tell this from an accepted sign-off.
        SetStatusLocked(PresenceSessionStatus.Cleared, _lastError, ref fx);
    }

    private void ScheduleLocked(WorkPriority priority, long dueTicks, long deadlineTicks, ref Effects fx)
    {
        var token = ++_scheduleToken;
        _nextRefreshTicks = priority == WorkPriority.StateChange ? 0 : dueTicks;
        if (_manager.Scheduler.Schedule(this, token, priority, dueTicks, deadlineTicks))
        {
            fx.Pump = true;
        }
        else
        {
            _nextRefreshTicks = 0;
            CompleteWaitersLocked(long.MaxValue, new ObjectDisposedException(nameof(IPresenceSessionManager)), ref fx);
        }
    }

    private Task AddWaiter(long version)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (_waiters ??= new List<Waiter>(1)).Add(new Waiter(version, completion));

        // Callers wait through WaitAsync(cancellationToken), which does not observe this task: a caller that stopped
        // waiting must not turn the send's later failure into an UnobservedTaskException.
        _ = completion.Task.ContinueWith(
            static t => _ = t.Exception,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return completion.Task;
    }

    private void CompleteWaitersLocked(long upToVersion, Exception? error, ref Effects fx)
    {
        if (_waiters is not { Count: > 0 } waiters)
        {
            return;
        }

        for (var i = waiters.Count - 1; i >= 0; i--)
        {
            if (waiters[i].Version <= upToVersion)
            {
                (fx.Completions ??= []).Add((waiters[i].Completion, error));
                waiters.RemoveAt(i);
            }
        }

        if (waiters.Count == 0)
        {
            _waiters = null;
        }
    }

    private void SetStatusLocked(PresenceSessionStatus status, PresenceRequestException? error, ref Effects fx)
    {
        if (_status == status)
        {
            return;
        }

        (fx.Events ??= []).Add(new PresenceSessionStatusChangedEventArgs(UserId, _status, status, error));
        _status = status;
    }

    private void Apply(ref Effects fx)
    {
        if (fx.Completions is { } completions)
        {
            foreach (var (completion, error) in completions)
            {
                if (error is null)
                {
                    completion.TrySetResult();
                }
                else
                {
                    completion.TrySetException(error);
                }
            }
        }

        if (fx.KeptDelta != 0)
        {
            _manager.OnKeptChanged(fx.KeptDelta);
        }

        if (fx.Events is { } events)
        {
            foreach (var e in events)
            {
                try
                {
                    StatusChanged?.Invoke(this, e);
                }
                catch (Exception ex)
                {
                    Log.StatusChangedHandlerFailed(_manager.Logger, UserId, ex);
                }

                _manager.OnStatusChanged(this, e);
            }
        }

        if (fx.Pump)
        {
            _manager.Scheduler.Pump();
        }

        fx = default;
    }

    private enum FailureLog
    {
        None,
        Retrying,
        RetryingLong,
        Lapsed,
        Permanent,
        SignOff,
        SignOffRetrying,
        SignOffEndedByLease,
    }

    private readonly record struct Waiter(long Version, TaskCompletionSource Completion);

    private struct Effects
    {
        public List<(TaskCompletionSource Completion, Exception? Error)>? Completions;
        public List<PresenceSessionStatusChangedEventArgs>? Events;
        public int KeptDelta;
        public bool Pump;
    }
}
