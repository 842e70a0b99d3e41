namespace PresenceKeepAlive;

/// <summary>
/// One user's application presence session: the state the application wants the user to show, kept alive by
/// refreshing it before the service's inactivity timeout. Thread-safe. Obtain one from
/// <see cref="IPresenceSessionManager.GetOrCreate(string)"/>.
/// </summary>
public interface IPresenceSession : IAsyncDisposable
{
    /// <summary>Gets the user's object id or user principal name.</summary>
    string UserId { get; }

    /// <summary>Gets the state the application last asked for, or <see langword="null"/> before the first <see cref="SetAsync"/>.</summary>
    PresenceState? DesiredState { get; }

    /// <summary>Gets the session's status.</summary>
    PresenceSessionStatus Status { get; }

    /// <summary>Gets when the service last accepted the desired state (set or refresh), if ever.</summary>
    DateTimeOffset? LastConfirmedAt { get; }

    /// <summary>Gets when the next refresh is due, or <see langword="null"/> when none is scheduled.</summary>
    DateTimeOffset? NextRefreshAt { get; }

    /// <summary>Gets the last failure, or <see langword="null"/> when the last request succeeded.</summary>
    PresenceRequestException? LastError { get; }

    /// <summary>
    /// Raised after <see cref="Status"/> changes, one change at a time and in order (see
    /// <see cref="PresenceSessionStatusChangedEventArgs.Sequence"/>). Handlers run on an engine thread and must not
    /// block; an exception from a handler is logged and does not stop the session.
    /// </summary>
    event EventHandler<PresenceSessionStatusChangedEventArgs>? StatusChanged;

    /// <summary>
    /// Records <paramref name="state"/> as the desired state, sends it ahead of queued refreshes, and completes when
    /// the service accepted it. From then on the state is refreshed before every timeout.
    /// </summary>
    /// <param name="state">The state to show.</param>
    /// <param name="cancellationToken">Stops waiting. The desired state stays recorded and is still sent and kept alive.</param>
    /// <returns>A task that completes when the service accepted the state.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The configured protocol cannot set <paramref name="state"/>; nothing was sent.</exception>
    /// <exception cref="PresenceRequestException">
    /// The request failed. When transient, the session keeps the desired state and keeps retrying in the background;
    /// when permanent (400, 401, 403, 404), the session stops refreshing and its status is <see cref="PresenceSessionStatus.Failed"/>.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    Task SetAsync(PresenceState state, CancellationToken cancellationToken = default);

    /// <summary>
    /// Signs the app session off (<c>clearPresence</c>, or <c>Offline/Offline</c> with the PATCH protocol) and stops
    /// refreshing. A session the service no longer has counts as signed off.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the session is signed off.</returns>
    /// <exception cref="PresenceRequestException">The request failed.</exception>
    Task ClearAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Gets what others saw for this user at the last read-back (<see cref="PresenceKeepAliveOptions.ReadBack"/>), with
    /// when it was read, or <see langword="null"/> before the first read or with read-back off.
    /// </summary>
    SeenPresence? SeenPresence { get; }

    /// <summary>
    /// Gets the difference between <see cref="DesiredState"/> and what others see, once it has lasted longer than the
    /// read-back grace period, with its inferred reason; <see langword="null"/> while they agree (or with read-back off).
    /// </summary>
    PresenceMismatch? Mismatch { get; }

    /// <summary>
    /// Raised when <see cref="Mismatch"/> appears, changes its reason, or clears. Handlers run on an engine thread and must
    /// not block; an exception from a handler is logged and does not stop the session.
    /// </summary>
    event EventHandler<PresenceMismatchChangedEventArgs>? MismatchChanged;

    /// <summary>
    /// Sets this user's own preferred presence (<c>setUserPreferredPresence</c>). It is <b>user-level</b>: it beats every
    /// application session of the user, this one included, until it expires or is cleared, and only shows while the user
    /// has a presence session. A one-shot request through the engine's rate budget, not kept alive.
    /// </summary>
    /// <param name="presence">One of the six preferred pairs.</param>
    /// <param name="expiration">How long it lasts; <see langword="null"/> for Graph's default (<see cref="PreferredPresence.DefaultExpiration"/>: 1 day for Busy and DoNotDisturb, 7 days otherwise). At most 30 days.</param>
    /// <param name="cancellationToken">Withdraws the request if it has not been sent, or cancels it.</param>
    /// <returns>A task that completes when the service accepted it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="presence"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="expiration"/> is not longer than zero, or longer than 30 days; nothing was sent.</exception>
    /// <exception cref="PresenceRequestException">The request failed.</exception>
    Task SetPreferredPresenceAsync(PreferredPresence presence, TimeSpan? expiration = null, CancellationToken cancellationToken = default);

    /// <summary>Clears this user's own preferred presence (<c>clearUserPreferredPresence</c>): the sessions' aggregate shows again. User-level, one-shot.</summary>
    /// <param name="cancellationToken">Withdraws the request if it has not been sent, or cancels it.</param>
    /// <returns>A task that completes when the service accepted it.</returns>
    /// <exception cref="PresenceRequestException">The request failed.</exception>
    Task ClearPreferredPresenceAsync(CancellationToken cancellationToken = default);

    /// <summary>Sets this user's status message (<c>setStatusMessage</c>). User-level, one-shot, through the engine's rate budget.</summary>
    /// <param name="message">The message and its optional expiry.</param>
    /// <param name="cancellationToken">Withdraws the request if it has not been sent, or cancels it.</param>
    /// <returns>A task that completes when the service accepted it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The message's expiry has already passed; nothing was sent.</exception>
    /// <exception cref="PresenceRequestException">The request failed.</exception>
    Task SetStatusMessageAsync(PresenceStatusMessage message, CancellationToken cancellationToken = default);

    /// <summary>Clears this user's status message (<c>setStatusMessage</c> with empty content). User-level, one-shot.</summary>
    /// <param name="cancellationToken">Withdraws the request if it has not been sent, or cancels it.</param>
    /// <returns>A task that completes when the service accepted it.</returns>
    /// <exception cref="PresenceRequestException">The request failed.</exception>
    Task ClearStatusMessageAsync(CancellationToken cancellationToken = default);
}
