using System.Diagnostics;

namespace PresenceKeepAlive.Protocol.Internal;

/// <summary>
/// Sends presence requests for one application registration. Knows HTTP and Graph; knows nothing of timers.
/// Implementations validate their input before sending anything and throw <see cref="PresenceRequestException"/>
/// for every request the service did not accept (transient or permanent).
/// </summary>
internal interface IPresenceProtocol
{
    /// <summary>Gets the protocol this instance speaks.</summary>
    PresenceProtocol Protocol { get; }

    /// <summary>Sets (or refreshes) the app session's presence for <paramref name="userId"/>.</summary>
    /// <param name="userId">The user's object id or user principal name.</param>
    /// <param name="state">The presence to set.</param>
    /// <param name="parent">The parent of the request's span: the <c>SetAsync</c> caller's for a state change, none (a root span) for a refresh or retry.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ArgumentException">The user id or state is not valid for this protocol; nothing was sent.</exception>
    /// <exception cref="PresenceRequestException">The request failed.</exception>
    Task SetPresenceAsync(string userId, PresenceState state, ActivityContext parent, CancellationToken cancellationToken);

    /// <summary>Signs the app session off for <paramref name="userId"/>. A session that does not exist counts as signed off.</summary>
    /// <param name="userId">The user's object id or user principal name.</param>
    /// <param name="parent">The parent of the request's span, as for <see cref="SetPresenceAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ArgumentException">The user id is not valid; nothing was sent.</exception>
    /// <exception cref="PresenceRequestException">The request failed.</exception>
    Task ClearPresenceAsync(string userId, ActivityContext parent, CancellationToken cancellationToken);
}
