namespace PresenceKeepAlive.Emulator;

/// <summary>A user's aggregated presence: what other users see.</summary>
public sealed record EmulatedPresence
{
    /// <summary>Creates an aggregated presence.</summary>
    /// <param name="userId">The user id as the caller wrote it.</param>
    /// <param name="availability">The aggregated availability, e.g. <c>Busy</c>.</param>
    /// <param name="activity">The aggregated activity, e.g. <c>InACall</c>.</param>
    public EmulatedPresence(string userId, string availability, string activity)
    {
        UserId = userId;
        Availability = availability;
        Activity = activity;
    }

    /// <summary>Gets the user id.</summary>
    public string UserId { get; }

    /// <summary>Gets the aggregated availability (<c>Offline</c> when the user has no session).</summary>
    public string Availability { get; }

    /// <summary>Gets the aggregated activity (<c>Offline</c> when the user has no session).</summary>
    public string Activity { get; }
}
