namespace PresenceKeepAlive;

/// <summary>What others see for a user, as read from Graph (<c>getPresencesByUserId</c>).</summary>
public sealed class SeenPresence
{
    /// <summary>Initializes a reading.</summary>
    /// <param name="userId">The user id the presence was asked for.</param>
    /// <param name="availability">The aggregated availability others see.</param>
    /// <param name="activity">The aggregated activity others see.</param>
    /// <param name="readAt">When it was read.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public SeenPresence(string userId, string availability, string activity, DateTimeOffset readAt)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(availability);
        ArgumentNullException.ThrowIfNull(activity);
        UserId = userId;
        Availability = availability;
        Activity = activity;
        ReadAt = readAt;
    }

    /// <summary>Gets the user id the presence was asked for.</summary>
    public string UserId { get; }

    /// <summary>Gets the aggregated availability others see, for example <c>DoNotDisturb</c>.</summary>
    public string Availability { get; }

    /// <summary>Gets the aggregated activity others see, for example <c>DoNotDisturb</c> or <c>InACall</c>.</summary>
    public string Activity { get; }

    /// <summary>Gets when it was read.</summary>
    public DateTimeOffset ReadAt { get; }

    /// <summary>Returns whether others see <paramref name="state"/> exactly (availability and activity, ignoring case).</summary>
    /// <param name="state">The state an application set.</param>
    /// <returns><see langword="true"/> when both parts match.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is <see langword="null"/>.</exception>
    public bool Shows(PresenceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return string.Equals(Availability, state.Availability, StringComparison.OrdinalIgnoreCase) &&
               string.Equals(Activity, state.Activity, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Returns <c>Availability/Activity</c>.</summary>
    /// <returns>The pair as text.</returns>
    public override string ToString() => Availability + "/" + Activity;
}
