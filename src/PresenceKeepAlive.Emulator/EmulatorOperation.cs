namespace PresenceKeepAlive.Emulator;

/// <summary>The Graph operations the emulator serves, used by counters and fault filters.</summary>
public enum EmulatorOperation
{
    /// <summary>A request under <c>v1.0/</c> or <c>beta/</c> that matches no operation.</summary>
    Unknown,

    /// <summary><c>POST /users/{id}/presence/setPresence</c>.</summary>
    SetPresence,

    /// <summary><c>POST /users/{id}/presence/clearPresence</c>.</summary>
    ClearPresence,

    /// <summary><c>POST /users/{id}/presence/setUserPreferredPresence</c>.</summary>
    SetUserPreferredPresence,

    /// <summary><c>POST /users/{id}/presence/clearUserPreferredPresence</c>.</summary>
    ClearUserPreferredPresence,

    /// <summary><c>GET /users/{id}/presence</c>.</summary>
    GetPresence,

    /// <summary><c>POST /communications/getPresencesByUserId</c>.</summary>
    GetPresencesByUserId,

    /// <summary>The seed's <c>PATCH /users/{id}/presence</c>.</summary>
    PatchPresence,

    /// <summary><c>POST /users/{id}/presence/setStatusMessage</c>.</summary>
    SetStatusMessage,
}
