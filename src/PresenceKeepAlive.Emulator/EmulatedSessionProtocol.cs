namespace PresenceKeepAlive.Emulator;

/// <summary>How an emulated session was written.</summary>
public enum EmulatedSessionProtocol
{
    /// <summary>By the v1.0 <c>setPresence</c> action, keyed by its <c>sessionId</c>.</summary>
    SetPresence,

    /// <summary>By the seed's <c>PATCH /users/{id}/presence</c>, keyed by the calling app.</summary>
    SeedPatch,
}
