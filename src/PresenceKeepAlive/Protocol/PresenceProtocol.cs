namespace PresenceKeepAlive;

/// <summary>The wire protocol used to set and clear presence.</summary>
public enum PresenceProtocol
{
    /// <summary>
    /// Microsoft Graph v1.0 <c>POST /users/{id}/presence/setPresence</c> and <c>clearPresence</c> (the default).
    /// The session id sent is the application's client id.
    /// </summary>
    SetPresence = 0,

    /// <summary>
    /// The beta draft's <c>PATCH /users/{id}/presence</c> with <c>{availability, activity}</c>; signing off sends
    /// <see cref="PresenceState.Offline"/>. Real Graph never shipped this form: use it with services that model it,
    /// such as the local emulator's seed mode.
    /// </summary>
    Patch = 1,
}
