namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>A stored session; mutated only under its user's lock.</summary>
internal sealed class SessionRecord
{
    public required string SessionId { get; init; }

    public required EmulatedSessionProtocol Protocol { get; init; }

    public PresencePair Pair { get; set; }

    public DateTimeOffset LastRefreshed { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}
