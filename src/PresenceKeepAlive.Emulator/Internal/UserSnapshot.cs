namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>One user in the admin state snapshot.</summary>
internal sealed record UserSnapshot(
    string UserId,
    PresencePair Presence,
    PreferredRecord? Preferred,
    bool PreferredEffective,
    List<EmulatedSession> Sessions,
    List<PresenceChange> History);
