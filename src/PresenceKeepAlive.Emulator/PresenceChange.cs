namespace PresenceKeepAlive.Emulator;

/// <summary>A change of a user's aggregated presence, including changes caused by fading or expiry.</summary>
public sealed record PresenceChange
{
    /// <summary>Gets the user id.</summary>
    public required string UserId { get; init; }

    /// <summary>Gets the emulated time at which the change took effect.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Gets the availability before the change.</summary>
    public required string PreviousAvailability { get; init; }

    /// <summary>Gets the activity before the change.</summary>
    public required string PreviousActivity { get; init; }

    /// <summary>Gets the availability after the change.</summary>
    public required string Availability { get; init; }

    /// <summary>Gets the activity after the change.</summary>
    public required string Activity { get; init; }

    /// <summary>Gets a number that orders changes recorded at the same timestamp.</summary>
    public required long Sequence { get; init; }
}
