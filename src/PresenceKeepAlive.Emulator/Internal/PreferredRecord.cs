namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>A user's preferred presence and its expiry.</summary>
internal sealed record PreferredRecord(PresencePair Pair, DateTimeOffset ExpiresAt);
