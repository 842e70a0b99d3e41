namespace PresenceKeepAlive;

/// <summary>Why others see something other than what the application set, as far as it can be inferred.</summary>
public enum PresenceMaskReason
{
    /// <summary>The cause cannot be inferred (a calendar meeting, out of office, another app's session with a state of its own).</summary>
    Unknown = 0,

    /// <summary>
    /// The user's own preferred presence (Do not disturb, Busy, Be right back, Away, Appear offline set in Teams or by
    /// <c>setUserPreferredPresence</c>) beats every application session.
    /// </summary>
    UserPreferredPresence = 1,

    /// <summary>Another session of the user ranks higher in Graph's aggregation (DoNotDisturb &gt; Busy &gt; Available &gt; Away).</summary>
    AnotherSessionRanksHigher = 2,

    /// <summary>Others see Offline: the application session ended (its lease ran out, or it lapsed or failed and was not renewed in time).</summary>
    SessionEnded = 3,
}
