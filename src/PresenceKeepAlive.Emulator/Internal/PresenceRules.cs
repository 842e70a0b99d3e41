namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>The timers of one mode: when a session fades and when it ends, computed from timestamps.</summary>
internal sealed class PresenceRules(PresenceEmulatorMode mode, TimeSpan inactivityTimeout)
{
    public PresenceEmulatorMode Mode { get; } = mode;

    public TimeSpan InactivityTimeout { get; } = inactivityTimeout;

    /// <summary>The emulated time a write at <paramref name="now"/> with <paramref name="lease"/> lasts until.</summary>
    public DateTimeOffset ExpiryFor(EmulatedSessionProtocol protocol, DateTimeOffset now, TimeSpan? lease)
    {
        // The seed signs a session off on its third missed timeout; a PATCH session in Graph mode gets the same
        // lease so the opt-in protocol behaves the same in both modes.
        var seedEnd = now + (3 * InactivityTimeout);
        if (protocol == EmulatedSessionProtocol.SeedPatch || lease is null)
        {
            return seedEnd;
        }

        var leaseEnd = now + lease.Value;
        return Mode == PresenceEmulatorMode.Seed && seedEnd < leaseEnd ? seedEnd : leaseEnd;
    }

    /// <summary>The state a live session shows at <paramref name="at"/>.</summary>
    public PresencePair Current(SessionRecord session, DateTimeOffset at)
    {
        var idle = at - session.LastRefreshed;
        if (idle < InactivityTimeout)
        {
            return session.Pair;
        }

        var secondStage = idle >= 2 * InactivityTimeout;
        if (Mode == PresenceEmulatorMode.Seed)
        {
            if (secondStage)
            {
                return PresencePairs.AwayPair;
            }

            return session.Pair.Availability == PresencePairs.Available ? PresencePairs.AvailableInactivePair : session.Pair;
        }

        // Graph fades only Available sessions; other states hold until the lease ends.
        if (session.Pair.Availability != PresencePairs.Available)
        {
            return session.Pair;
        }

        return secondStage ? PresencePairs.AwayPair : PresencePairs.AvailableInactivePair;
    }
}
