namespace PresenceKeepAlive;

/// <summary>The status of an <see cref="IPresenceSession"/>.</summary>
public enum PresenceSessionStatus
{
    /// <summary>No state has been set yet.</summary>
    NotStarted = 0,

    /// <summary>The desired state was accepted and is refreshed before every timeout.</summary>
    Active,

    /// <summary>The last send (a state, or a sign-off) failed transiently; it is being retried and the state has not lapsed yet.</summary>
    Retrying,

    /// <summary>Sends kept failing past the inactivity timeout: others may see the state fading. Retries go on, and the desired state is re-applied on recovery.</summary>
    Lapsed,

    /// <summary>A permanent error (400, 401, 403, 404) stopped the session; see <see cref="IPresenceSession.LastError"/>. A new <see cref="IPresenceSession.SetAsync"/> starts it again.</summary>
    Failed,

    /// <summary>The session was signed off and no longer refreshes.</summary>
    Cleared,

    /// <summary>The session was disposed.</summary>
    Disposed,
}
