namespace PresenceKeepAlive.Emulator;

/// <summary>Which presence semantics the emulator models.</summary>
public enum PresenceEmulatorMode
{
    /// <summary>
    /// Microsoft Graph v1.0 semantics: an <c>Available</c> session that is not refreshed within
    /// <see cref="PresenceEmulatorOptions.InactivityTimeout"/> shows <c>Available/AvailableInactive</c>, then
    /// <c>Away/Away</c> after another timeout; a session ends when its lease (<c>expirationDuration</c>) passes.
    /// Sessions written with the seed's <c>PATCH</c> get a lease of three inactivity timeouts.
    /// </summary>
    Graph,

    /// <summary>
    /// The seed's beta draft: every session fades in three stages, one per missed inactivity timeout:
    /// <c>Available/Available</c> to <c>Available/AvailableInactive</c> (other states keep theirs), then
    /// <c>Away/Away</c>, then the session ends (<c>Offline/Offline</c>). A shorter <c>expirationDuration</c>
    /// given to <c>setPresence</c> still ends the session earlier.
    /// </summary>
    Seed,
}
