namespace PresenceKeepAlive;

/// <summary>
/// The manager of a named registration: one tenant, one or more app registrations. Each user is kept by exactly one app,
/// chosen by rendezvous (highest random weight) hashing of the user id and the app's client id: the same on every
/// restart, and adding or removing an app moves only the users that app gains or had (about 1 in N+1 when an app joins
/// N). A user who moves is signed off from the old app before the new app sets the user's state. Each app has its own
/// rate budget per tenant, so the pool's capacity is the sum of its apps'.
/// </summary>
/// <remarks>
/// Sessions returned by <see cref="IPresenceSessionManager.GetOrCreate(string)"/> stay valid across moves: they follow
/// the user to its new app. Calls made while a user moves wait for the move, then apply to the new app.
/// </remarks>
public interface IPresenceAppPool : IPresenceSessionManager
{
    /// <summary>Gets the registration's name.</summary>
    string Name { get; }

    /// <summary>Gets the tenant of the registration, as configured (<see langword="null"/> when unset).</summary>
    string? TenantId { get; }

    /// <summary>Gets the client ids of the pool's apps, in the order they were added.</summary>
    IReadOnlyList<string> ClientIds { get; }

    /// <summary>Returns the client id of the app that keeps <paramref name="userId"/>'s presence.</summary>
    /// <param name="userId">The user's object id (GUID) or user principal name.</param>
    /// <returns>The app's client id.</returns>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is empty, or neither a GUID nor a user principal name.</exception>
    string GetClientId(string userId);

    /// <summary>
    /// Adds an app registration to the pool and moves to it the users it now wins: each is signed off from its old app,
    /// then set to its desired state by the new one, all in parallel within each app's budget.
    /// </summary>
    /// <param name="app">The app: its client id and credential (as in <see cref="PresenceKeepAliveOptions.Apps"/>).</param>
    /// <param name="cancellationToken">Stops waiting for the moves; they go on in the background.</param>
    /// <returns>How many users moved.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="app"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The client id is missing, not valid, or already in the pool.</exception>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    Task<int> AddAppAsync(PresenceAppRegistration app, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes an app registration from the pool: its users move to the remaining apps (each signed off from the removed
    /// app first), then the app's engine stops.
    /// </summary>
    /// <param name="clientId">The client id of the app to remove.</param>
    /// <param name="cancellationToken">Stops waiting for the moves; they go on in the background.</param>
    /// <returns>How many users moved.</returns>
    /// <exception cref="ArgumentException">No app of the pool has that client id.</exception>
    /// <exception cref="InvalidOperationException">It is the pool's last app.</exception>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    Task<int> RemoveAppAsync(string clientId, CancellationToken cancellationToken = default);
}
