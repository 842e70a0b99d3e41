namespace PresenceKeepAlive;

/// <summary>
/// Holds the presence sessions of one application registration. All of them share one keep-alive scheduler and
/// one rate budget. Thread-safe. Registered as a singleton by <c>AddPresenceSession</c>.
/// </summary>
/// <remarks>
/// The container owns the manager and disposes it (signing the sessions off first when
/// <see cref="PresenceKeepAliveOptions.SignOffOnDispose"/> is set), so the interface offers no way for one consumer
/// to dispose the instance every other consumer shares. To sign everyone off earlier, call <see cref="SignOffAllAsync"/>.
/// </remarks>
public interface IPresenceSessionManager
{
    /// <summary>Gets the number of sessions held.</summary>
    int Count { get; }

    /// <summary>Gets a snapshot of the sessions held.</summary>
    IReadOnlyCollection<IPresenceSession> Sessions { get; }

    /// <summary>Raised after any held session's status changes.</summary>
    event EventHandler<PresenceSessionStatusChangedEventArgs>? StatusChanged;

    /// <summary>Returns the session of <paramref name="userId"/>, creating it (status <see cref="PresenceSessionStatus.NotStarted"/>) if needed.</summary>
    /// <remarks>
    /// Ids are compared as text, ignoring case. Graph keys an app session by user and application, so use one form of
    /// id per user throughout (the object id, or the user principal name): a session for each form would write to the
    /// same Graph session, overwrite each other's state, and one's sign-off would end the other's.
    /// </remarks>
    /// <param name="userId">The user's object id (GUID) or user principal name.</param>
    /// <returns>The session.</returns>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is empty, or neither a GUID nor a user principal name.</exception>
    /// <exception cref="ObjectDisposedException">The manager was disposed.</exception>
    IPresenceSession GetOrCreate(string userId);

    /// <summary>Returns the session of <paramref name="userId"/> if one is held.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="session">The session, when held.</param>
    /// <returns><see langword="true"/> when a session is held.</returns>
    bool TryGet(string userId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPresenceSession? session);

    /// <summary>
    /// Signs every held session off, in parallel within the rate budget, and stops refreshing them. A session the
    /// service no longer has counts as signed off.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; sessions not signed off by then are reported.</param>
    /// <returns>What was signed off and what was not.</returns>
    Task<PresenceSignOffResult> SignOffAllAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads what others see for <paramref name="userIds"/> (<c>getPresencesByUserId</c>, 650 users a call), through the
    /// engine's rate budget. Needs <c>Presence.Read.All</c>. The users need no session.
    /// </summary>
    /// <param name="userIds">Directory object ids (GUIDs), which is all <c>getPresencesByUserId</c> takes, or <see cref="PresenceUserIds.Me"/>.</param>
    /// <param name="cancellationToken">Withdraws the requests not yet sent, or cancels them.</param>
    /// <returns>
    /// One reading per user the service answered for, matched by the object id it returned (the signed-in user,
    /// <see cref="PresenceUserIds.Me"/>, first).
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="userIds"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A user id is not valid or not an object id (a user principal name, for example); nothing was sent.</exception>
    /// <exception cref="PresenceRequestException">A request failed.</exception>
    Task<IReadOnlyList<SeenPresence>> GetPresencesAsync(IEnumerable<string> userIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Signs this application's presence session off for <paramref name="userId"/> (<c>clearPresence</c>) even when this
    /// process did not set it, for example after a restart, so the user does not keep the state until its lease ends. A
    /// session held by this manager is cleared through <see cref="IPresenceSession.ClearAsync"/> instead. A session the
    /// service no longer has counts as signed off.
    /// </summary>
    /// <param name="userId">The user's object id or user principal name, or <see cref="PresenceUserIds.Me"/>.</param>
    /// <param name="cancellationToken">Withdraws the request if it has not been sent, or cancels it.</param>
    /// <returns>A task that completes when the session is signed off.</returns>
    /// <exception cref="ArgumentException">The user id is not valid; nothing was sent.</exception>
    /// <exception cref="PresenceRequestException">The request failed.</exception>
    Task SignOffAsync(string userId, CancellationToken cancellationToken = default);
}
