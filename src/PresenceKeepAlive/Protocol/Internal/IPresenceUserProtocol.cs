namespace PresenceKeepAlive.Protocol.Internal;

/// <summary>
/// The user-level presence operations beside setPresence: preferred presence, the status message, and reading what
/// others see. One-shot requests; like <see cref="IPresenceProtocol"/>, implementations validate before sending and
/// throw <see cref="PresenceRequestException"/> for every request the service did not accept.
/// </summary>
internal interface IPresenceUserProtocol
{
    /// <summary>Sets the user's preferred presence (<c>setUserPreferredPresence</c>) for <paramref name="expiration"/>.</summary>
    Task SetPreferredPresenceAsync(string userId, PreferredPresence presence, TimeSpan expiration, CancellationToken cancellationToken);

    /// <summary>Clears the user's preferred presence (<c>clearUserPreferredPresence</c>).</summary>
    Task ClearPreferredPresenceAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Sets the user's status message (<c>setStatusMessage</c>), or clears it when <paramref name="message"/> is <see langword="null"/>.</summary>
    Task SetStatusMessageAsync(string userId, PresenceStatusMessage? message, CancellationToken cancellationToken);

    /// <summary>Reads what others see for up to 650 users in one call (<c>getPresencesByUserId</c>).</summary>
    /// <returns>One reading per user Graph answered for, keyed by the id asked for.</returns>
    Task<IReadOnlyList<SeenPresence>> GetPresencesAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken);

    /// <summary>Reads what others see for the signed-in user (<c>GET /me/presence</c>, delegated self-mode).</summary>
    Task<SeenPresence> GetSignedInPresenceAsync(CancellationToken cancellationToken);
}
