using PresenceKeepAlive.Orleans.Grains;
using PresenceKeepAlive.Orleans.Internal;

namespace PresenceKeepAlive.Orleans.Client;

/// <summary>
/// An <see cref="IPresenceSession"/> whose session lives in the cluster: each call goes to the user's session grain, which
/// records the desired state in grain storage and has the silo that holds it send and refresh it. The read-only properties
/// show the session as of the last answer from its grain (eventually consistent: a refresh or a retry in the background
/// shows at the next call), and <see cref="StatusChanged"/> is raised for the changes those answers show.
/// </summary>
internal sealed class ClusterPresenceSession : IPresenceSession
{
    private static readonly TimeSpan[] MovingBackoff =
        [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)];

    private readonly ClusterPresenceSessionManager _manager;
    private readonly IPresenceSessionGrain _grain;
    private readonly object _lock = new();
    private SessionSnapshot? _snapshot;
    private PresenceState? _desired;
    private PresenceMismatch? _mismatch;
    private long _sequence;
    private bool _disposed;
    private Task? _disposal;

    public ClusterPresenceSession(string userId, IPresenceSessionGrain grain, ClusterPresenceSessionManager manager)
    {
        UserId = userId;
        _grain = grain;
        _manager = manager;
    }

    public event EventHandler<PresenceSessionStatusChangedEventArgs>? StatusChanged;

    public event EventHandler<PresenceMismatchChangedEventArgs>? MismatchChanged;

    public string UserId { get; }

    public PresenceState? DesiredState
    {
        get
        {
            lock (_lock)
            {
                return _desired;
            }
        }
    }

    public PresenceSessionStatus Status => (PresenceSessionStatus)(Snapshot?.Status ?? (int)PresenceSessionStatus.NotStarted);

    public DateTimeOffset? LastConfirmedAt => Snapshot?.LastConfirmedAt;

    public DateTimeOffset? NextRefreshAt => Snapshot?.NextRefreshAt;

    public PresenceRequestException? LastError => Snapshot?.LastError is { } e ? WireMapping.ToRequestException(e, UserId) : null;

    public SeenPresence? SeenPresence =>
        Snapshot is { SeenAvailability: { } a, SeenActivity: { } b, SeenAt: { } at } ? new SeenPresence(UserId, a, b, at) : null;

    public PresenceMismatch? Mismatch
    {
        get
        {
            lock (_lock)
            {
                return _mismatch;
            }
        }
    }

    /// <summary>Gets the silo that held the session at the last answer (diagnostics).</summary>
    internal string? Silo => Snapshot?.Silo;

    private SessionSnapshot? Snapshot
    {
        get
        {
            lock (_lock)
            {
                return _snapshot;
            }
        }
    }

    public async Task SetAsync(PresenceState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _desired = state;
        }

        await CallAsync(ct => _grain.SetAsync(state.Availability, state.Activity, ct), cancellationToken).ConfigureAwait(false);
    }

    public async Task ClearAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _desired = null;
        }

        await CallAsync(ct => _grain.ClearAsync(ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Signs off like <see cref="ClearAsync"/>, and also what another process may have left (the manager's <c>SignOffAsync</c>).</summary>
    internal async Task SignOffAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _desired = null;
        }

        await CallAsync(ct => _grain.SignOffAsync(ct), cancellationToken).ConfigureAwait(false);
    }

    public Task SetPreferredPresenceAsync(PreferredPresence presence, TimeSpan? expiration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(presence);
        if (expiration is { } e && (e <= TimeSpan.Zero || e > PreferredPresence.MaxExpiration))
        {
            throw new ArgumentOutOfRangeException(nameof(expiration), e, $"The expiration must be longer than zero and at most {PreferredPresence.MaxExpiration.TotalDays:0} days; leave it null for Graph's default ({presence.DefaultExpiration.TotalDays:0} days for {presence}).");
        }

        return OneShotAsync(new OneShotRequest { Kind = OneShotKind.SetPreferredPresence, Availability = presence.Availability, Activity = presence.Activity, Expiration = expiration }, cancellationToken);
    }

    public Task ClearPreferredPresenceAsync(CancellationToken cancellationToken = default) =>
        OneShotAsync(new OneShotRequest { Kind = OneShotKind.ClearPreferredPresence }, cancellationToken);

    public Task SetStatusMessageAsync(PresenceStatusMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.ExpiresAt is { } expires && expires <= _manager.TimeProvider.GetUtcNow())
        {
            throw new ArgumentOutOfRangeException(nameof(message), expires, "The status message's expiry has already passed: give a time in the future, or none.");
        }

        return OneShotAsync(new OneShotRequest { Kind = OneShotKind.SetStatusMessage, Text = message.Text, ExpiresAt = message.ExpiresAt }, cancellationToken);
    }

    public Task ClearStatusMessageAsync(CancellationToken cancellationToken = default) =>
        OneShotAsync(new OneShotRequest { Kind = OneShotKind.ClearStatusMessage }, cancellationToken);

    /// <summary>Ends the session in the cluster: signs the user off first when the manager's options say so, then forgets it.</summary>
    /// <remarks>Concurrent and repeated calls all wait for the one disposal.</remarks>
    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _disposed = true;
            _disposal ??= DisposeCoreAsync();
            return new ValueTask(_disposal);
        }
    }

    /// <summary>Reads the session's snapshot from its grain (tests, diagnostics).</summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken = default) =>
        Apply(await _grain.GetAsync().WaitAsync(cancellationToken).ConfigureAwait(false));

    private async Task DisposeCoreAsync()
    {
        try
        {
            // Through the same loop as every call: a stopping holder's "moving" answer and a dead silo's failure are repeated.
            await CallAsync(ct => _grain.EndAsync(_manager.SignOffOnDispose, ct), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _manager.Remove(this);
        }
    }

    private async Task OneShotAsync(OneShotRequest request, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
        }

        await CallAsync(ct => _grain.OneShotAsync(request, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Calls the grain, repeating a call the stopping holder handed back (the state is recorded; the next holder takes it), and throws the failure it answers with.</summary>
    private async Task CallAsync(Func<CancellationToken, Task<SessionSnapshot>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            // A call routed to a silo that has just died is repeated (setting, clearing and reading are idempotent; the
            // last desire wins): it reaches the session's next holder.
            var snapshot = await GrainCalls.RetryAsync(() => call(cancellationToken), _manager.TimeProvider, cancellationToken).ConfigureAwait(false);
            Apply(snapshot);
            if (snapshot.Failure is not { } failure)
            {
                return;
            }

            if (failure.Kind == WireFailureKind.Moving && attempt < MovingBackoff.Length)
            {
                await Task.Delay(MovingBackoff[attempt], _manager.TimeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }

            throw failure.Kind == WireFailureKind.Moving ? WireMapping.ToRequestException(failure, UserId) : WireMapping.ToException(failure, UserId);
        }
    }

    private void Apply(SessionSnapshot snapshot)
    {
        PresenceSessionStatusChangedEventArgs? changed = null;
        PresenceMismatchChangedEventArgs? mismatchChanged = null;
        lock (_lock)
        {
            if (_snapshot is { } previous && previous.Version > snapshot.Version)
            {
                // An answer overtaken by a newer one.
                return;
            }

            var before = (PresenceSessionStatus)(_snapshot?.Status ?? (int)PresenceSessionStatus.NotStarted);
            _snapshot = snapshot;
            var after = (PresenceSessionStatus)snapshot.Status;
            if (before != after)
            {
                changed = new PresenceSessionStatusChangedEventArgs(
                    UserId, before, after, snapshot.LastError is { } e ? WireMapping.ToRequestException(e, UserId) : null, ++_sequence);
            }

            var mismatch = _desired is { } desired && snapshot.MismatchReason >= 0 && snapshot.SeenAvailability is { } a && snapshot.SeenActivity is { } b
                ? new PresenceMismatch(desired, new SeenPresence(UserId, a, b, snapshot.SeenAt ?? default), (PresenceMaskReason)snapshot.MismatchReason, snapshot.MismatchSince ?? default)
                : null;
            if ((mismatch is null) != (_mismatch is null) || (mismatch is not null && mismatch.Reason != _mismatch!.Reason))
            {
                mismatchChanged = new PresenceMismatchChangedEventArgs(UserId, mismatch, _mismatch);
            }

            _mismatch = mismatch;
        }

        if (changed is not null)
        {
            try
            {
                StatusChanged?.Invoke(this, changed);
            }
            catch (Exception)
            {
                // As in one process: a failing handler does not stop the session.
            }

            _manager.OnStatusChanged(this, changed);
        }

        if (mismatchChanged is not null)
        {
            try
            {
                MismatchChanged?.Invoke(this, mismatchChanged);
            }
            catch (Exception)
            {
            }
        }
    }
}
