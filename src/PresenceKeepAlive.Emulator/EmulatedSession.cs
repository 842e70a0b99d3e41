namespace PresenceKeepAlive.Emulator;

/// <summary>One live presence session of a user, as the emulator sees it at the current emulated time.</summary>
public sealed record EmulatedSession
{
    /// <summary>Gets the session id: the <c>sessionId</c> of <c>setPresence</c>, or <c>seed:</c> plus the app key for the seed's PATCH.</summary>
    public required string SessionId { get; init; }

    /// <summary>Gets how the session was written.</summary>
    public required EmulatedSessionProtocol Protocol { get; init; }

    /// <summary>Gets the availability the app last set.</summary>
    public required string Availability { get; init; }

    /// <summary>Gets the activity the app last set.</summary>
    public required string Activity { get; init; }

    /// <summary>Gets the current availability after fading (e.g. <c>Away</c> after two missed timeouts).</summary>
    public required string CurrentAvailability { get; init; }

    /// <summary>Gets the current activity after fading (e.g. <c>AvailableInactive</c> after one missed timeout).</summary>
    public required string CurrentActivity { get; init; }

    /// <summary>Gets the emulated time of the last write to this session.</summary>
    public required DateTimeOffset LastRefreshed { get; init; }

    /// <summary>Gets the emulated time at which the session ends unless refreshed.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }
}
