namespace PresenceKeepAlive;

/// <summary>
/// Others have seen something other than the application's desired state for longer than the read-back grace period
/// (<see cref="PresenceReadBackOptions.GracePeriod"/>).
/// </summary>
public sealed class PresenceMismatch
{
    /// <summary>Initializes a mismatch.</summary>
    /// <param name="desired">The state the application set.</param>
    /// <param name="seen">What others see.</param>
    /// <param name="reason">The inferred reason.</param>
    /// <param name="since">When the difference was first read.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public PresenceMismatch(PresenceState desired, SeenPresence seen, PresenceMaskReason reason, DateTimeOffset since)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(seen);
        Desired = desired;
        Seen = seen;
        Reason = reason;
        Since = since;
    }

    /// <summary>Gets the state the application set.</summary>
    public PresenceState Desired { get; }

    /// <summary>Gets what others see (the latest reading).</summary>
    public SeenPresence Seen { get; }

    /// <summary>Gets the inferred reason.</summary>
    public PresenceMaskReason Reason { get; }

    /// <summary>Gets when the difference was first read.</summary>
    public DateTimeOffset Since { get; }

    /// <summary>Returns a one-line description, for example <c>Busy/InACall shows as DoNotDisturb/DoNotDisturb (UserPreferredPresence)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"{Desired} shows as {Seen} ({Reason})";
}
