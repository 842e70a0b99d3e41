using PresenceKeepAlive.Emulator.Internal;

namespace PresenceKeepAlive.Emulator.Tests.Internal;

public class PresenceRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [TestCase(PresenceEmulatorMode.Graph, EmulatedSessionProtocol.SetPresence, 240, 240)]
    [TestCase(PresenceEmulatorMode.Seed, EmulatedSessionProtocol.SetPresence, 240, 15)]
    [TestCase(PresenceEmulatorMode.Seed, EmulatedSessionProtocol.SetPresence, 5, 5)]
    [TestCase(PresenceEmulatorMode.Graph, EmulatedSessionProtocol.SeedPatch, null, 15)]
    [TestCase(PresenceEmulatorMode.Seed, EmulatedSessionProtocol.SeedPatch, null, 15)]
    public void ExpiryFor_ModeAndProtocol_EndsSessionAt(PresenceEmulatorMode mode, EmulatedSessionProtocol protocol, int? leaseMinutes, int expectedMinutes)
    {
        var sut = new PresenceRules(mode, Timeout);

        var expiry = sut.ExpiryFor(protocol, Now, leaseMinutes is { } m ? TimeSpan.FromMinutes(m) : null);

        Assert.That(expiry, Is.EqualTo(Now.AddMinutes(expectedMinutes)));
    }

    [TestCase(PresenceEmulatorMode.Graph, "Busy", "InACall", 12, "Busy/InACall")]
    [TestCase(PresenceEmulatorMode.Seed, "Busy", "InACall", 7, "Busy/InACall")]
    [TestCase(PresenceEmulatorMode.Seed, "Busy", "InACall", 10, "Away/Away")]
    [TestCase(PresenceEmulatorMode.Graph, "DoNotDisturb", "Presenting", 30, "DoNotDisturb/Presenting")]
    [TestCase(PresenceEmulatorMode.Graph, "Available", "Available", 10, "Away/Away")]
    [TestCase(PresenceEmulatorMode.Seed, "Away", "Away", 7, "Away/Away")]
    public void Current_IdleFor_ShowsFadedState(PresenceEmulatorMode mode, string availability, string activity, int idleMinutes, string expected)
    {
        var sut = new PresenceRules(mode, Timeout);
        var session = new SessionRecord
        {
            SessionId = "s",
            Protocol = EmulatedSessionProtocol.SetPresence,
            Pair = new PresencePair(availability, activity),
            LastRefreshed = Now,
            ExpiresAt = Now.AddHours(4),
        };

        Assert.That(sut.Current(session, Now.AddMinutes(idleMinutes)).ToString(), Is.EqualTo(expected));
    }
}
