namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>
/// A user's session in an app pool: it forwards to the session of the app that keeps the user, and follows the user when
/// the pool moves it to another app. During a move, calls wait for it and then apply to the new app, the latest desire
/// winning, so that no state ever reaches two apps.
/// </summary>
internal sealed class PooledSession : IPresenceSession
{
    private readonly object _lock = new();
    private readonly EventHandler<PresenceSessionStatusChangedEventArgs> _forward;
    private readonly EventHandler<PresenceMismatchChangedEventArgs> _forwardMismatch;
    private IPresenceSession _current;
    private Task? _moving;
    private Task _afterMove = Task.CompletedTask;
    private bool _hasPending;
    private PresenceState? _pending;
    private bool _isDisposed;

    private readonly Action<PooledSession>? _disposed;

    public PooledSession(string userId, AppSlot slot, IPresenceSession current, Action<PooledSession>? disposed = null)
    {
        _disposed = disposed;
        UserId = userId;
        Slot = slot;
        _current = current;
        _forward = (_, e) => StatusChanged?.Invoke(this, e);
        _forwardMismatch = (_, e) => MismatchChanged?.Invoke(this, e);
        _current.StatusChanged += _forward;
        _current.MismatchChanged += _forwardMismatch;
    }

    public event EventHandler<PresenceSessionStatusChangedEventArgs>? StatusChanged;

    public event EventHandler<PresenceMismatchChangedEventArgs>? MismatchChanged;

    public string UserId { get; }

    /// <summary>Gets the app that keeps the user now.</summary>
    public AppSlot Slot { get; private set; }

    public PresenceState? DesiredState
    {
        get
        {
            lock (_lock)
            {
                return _moving is not null && _hasPending ? _pending : _current.DesiredState;
            }
        }
    }

    public PresenceSessionStatus Status => Current.Status;

    public DateTimeOffset? LastConfirmedAt => Current.LastConfirmedAt;

    public DateTimeOffset? NextRefreshAt => Current.NextRefreshAt;

    public PresenceRequestException? LastError => Current.LastError;

    public SeenPresence? SeenPresence => Current.SeenPresence;

    public PresenceMismatch? Mismatch => Current.Mismatch;

    /// <summary>Gets a value indicating whether a move of the user to another app is under way (for tests and diagnostics).</summary>
    internal bool IsMoving
    {
        get
        {
            lock (_lock)
            {
                return _moving is not null;
            }
        }
    }

    /// <summary>Gets the session of the app that keeps the user now.</summary>
    internal IPresenceSession Current
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    public Task SetAsync(PresenceState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Apply(state, cancellationToken);
    }

    public Task ClearAsync(CancellationToken cancellationToken = default) => Apply(null, cancellationToken);

    // User-level one-shot requests: through the app that keeps the user (after a move under way), within its budget.
    public Task SetPreferredPresenceAsync(PreferredPresence presence, TimeSpan? expiration = null, CancellationToken cancellationToken = default) =>
        WhenSettled(s => s.SetPreferredPresenceAsync(presence, expiration, cancellationToken), cancellationToken);

    public Task ClearPreferredPresenceAsync(CancellationToken cancellationToken = default) =>
        WhenSettled(s => s.ClearPreferredPresenceAsync(cancellationToken), cancellationToken);

    public Task SetStatusMessageAsync(PresenceStatusMessage message, CancellationToken cancellationToken = default) =>
        WhenSettled(s => s.SetStatusMessageAsync(message, cancellationToken), cancellationToken);

    public Task ClearStatusMessageAsync(CancellationToken cancellationToken = default) =>
        WhenSettled(s => s.ClearStatusMessageAsync(cancellationToken), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Task? moving;
        lock (_lock)
        {
            // A move under way sees this and leaves the user with no app (it signs the old one off and sets no new one).
            _isDisposed = true;
            moving = _moving;
        }

        if (moving is not null)
        {
            await moving.ConfigureAwait(false);
        }

        // Signs off (when SignOffOnDispose) through the app that keeps the user, then leaves the pool.
        await Current.DisposeAsync().ConfigureAwait(false);
        _disposed?.Invoke(this);
    }

    /// <summary>
    /// Signs the user off through the manager of the app that keeps it (after a move under way), the way the manager
    /// signs off a user it holds.
    /// </summary>
    internal Task SignOffThroughAppAsync(CancellationToken cancellationToken) =>
        WhenSettled(_ => Slot.Manager.SignOffAsync(UserId, cancellationToken), cancellationToken);

    /// <summary>
    /// Moves the user to <paramref name="target"/>: signs it off from its app first (when that app ever set it), then
    /// sets the latest desired state with the new app. Returns when the new app's set was answered (or failed: the
    /// session's status shows it and it retries on its own).
    /// </summary>
    internal async Task MoveAsync(AppSlot target, Action<AppSlot, Exception> signOffFailed)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        IPresenceSession old;
        AppSlot oldSlot;
        PresenceState? desired;
        lock (_lock)
        {
            if (ReferenceEquals(Slot, target) || _moving is not null || _isDisposed)
            {
                return;
            }

            old = _current;
            oldSlot = Slot;
            desired = old.DesiredState;
            _moving = done.Task;
            _hasPending = false;
        }

        try
        {
            // Always through the old session's own clear: under its lock it decides on what it sent or has in flight
            // (its status still reads NotStarted while the first set is queued or in flight). A queued set is dropped
            // unsent; an in-flight one is answered first and then cleared. Through the old app's scheduler: in
            // parallel with the other moves, ahead of its refreshes, within its budget.
            var cleared = false;
            try
            {
                await old.ClearAsync().ConfigureAwait(false);
                cleared = true;
            }
            catch (Exception ex) when (ex is PresenceRequestException or ObjectDisposedException or OperationCanceledException)
            {
                signOffFailed(oldSlot, ex);
            }

            if (cleared)
            {
                // Nothing of the old app's is on the service any more: disposing sends nothing, and is done before the
                // new app sets the user.
                await old.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                // Retrying its sign-off in the background (when SignOffOnDispose): no set of the old app's can go any more.
                _ = old.DisposeAsync().AsTask();
            }

            IPresenceSession? next = null;
            bool stop;
            lock (_lock)
            {
                stop = _isDisposed;
            }

            if (!stop)
            {
                try
                {
                    next = target.Manager.GetOrCreate(UserId);
                }
                catch (ObjectDisposedException)
                {
                    // The pool is being disposed: the user stays signed off.
                }
            }

            IPresenceSession? unused = null;
            lock (_lock)
            {
                if (next is null || _isDisposed)
                {
                    // Disposed during the move: the new app never sets the user (its new session sent nothing).
                    unused = next;
                    _afterMove = Task.CompletedTask;
                }
                else
                {
                    old.StatusChanged -= _forward;
                    old.MismatchChanged -= _forwardMismatch;
                    next.StatusChanged += _forward;
                    next.MismatchChanged += _forwardMismatch;
                    _current = next;
                    Slot = target;
                    var state = _hasPending ? _pending : desired;
                    _afterMove = state is null ? Task.CompletedTask : next.SetAsync(state);
                }

                _moving = null;
                _hasPending = false;
                _pending = null;
            }

            if (unused is not null)
            {
                await unused.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_lock)
            {
                _moving = null;
            }

            done.TrySetResult();
        }

        Task applied;
        lock (_lock)
        {
            applied = _afterMove;
        }

        try
        {
            await applied.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PresenceRequestException or ObjectDisposedException or OperationCanceledException)
        {
            // The new app's session shows and retries it; the move itself is done.
        }
    }

    private Task Apply(PresenceState? state, CancellationToken cancellationToken)
    {
        Task moving;
        lock (_lock)
        {
            if (_moving is null)
            {
                // Recorded synchronously under the lock, so that a move starting next reads this desire.
                return state is null ? _current.ClearAsync(cancellationToken) : _current.SetAsync(state, cancellationToken);
            }

            _hasPending = true;
            _pending = state;
            moving = _moving;
        }

        return AfterMoveAsync(moving, cancellationToken);
    }

    /// <summary>Runs <paramref name="operation"/> on the session of the app that keeps the user, after a move under way.</summary>
    private Task WhenSettled(Func<IPresenceSession, Task> operation, CancellationToken cancellationToken)
    {
        Task? moving;
        IPresenceSession current;
        lock (_lock)
        {
            moving = _moving;
            current = _current;
        }

        return moving is null ? operation(current) : AfterMoveThenAsync(moving, operation, cancellationToken);
    }

    private async Task AfterMoveThenAsync(Task moving, Func<IPresenceSession, Task> operation, CancellationToken cancellationToken)
    {
        await moving.WaitAsync(cancellationToken).ConfigureAwait(false);
        await operation(Current).ConfigureAwait(false);
    }

    private async Task AfterMoveAsync(Task moving, CancellationToken cancellationToken)
    {
        await moving.WaitAsync(cancellationToken).ConfigureAwait(false);
        Task applied;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_isDisposed, this);
            applied = _afterMove;
        }

        // The move applied the latest desire (this one or a later one) to the new app: wait for that send, as a
        // session's callers wait for the first send at least as new as their own.
        await applied.WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
