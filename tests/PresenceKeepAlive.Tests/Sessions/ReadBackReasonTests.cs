using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Tests.Sessions;

/// <summary>Why others see something else: inferred from Graph's aggregation rules.</summary>
public class ReadBackReasonTests
{
    [TestCase("DoNotDisturb", "DoNotDisturb", "Busy/InACall", PresenceSessionStatus.Active, PresenceMaskReason.UserPreferredPresence)]
    [TestCase("Busy", "Busy", "Available", PresenceSessionStatus.Active, PresenceMaskReason.UserPreferredPresence)]
    [TestCase("BeRightBack", "BeRightBack", "Busy/InACall", PresenceSessionStatus.Active, PresenceMaskReason.UserPreferredPresence)]
    [TestCase("Offline", "OffWork", "Busy/InACall", PresenceSessionStatus.Active, PresenceMaskReason.UserPreferredPresence)]
    [TestCase("Away", "Away", "Busy/InACall", PresenceSessionStatus.Active, PresenceMaskReason.UserPreferredPresence)]
    [TestCase("Available", "Available", "DoNotDisturb/Presenting", PresenceSessionStatus.Active, PresenceMaskReason.UserPreferredPresence)]
    [TestCase("DoNotDisturb", "Presenting", "Busy/InACall", PresenceSessionStatus.Active, PresenceMaskReason.AnotherSessionRanksHigher)]
    [TestCase("Busy", "InACall", "Available", PresenceSessionStatus.Active, PresenceMaskReason.AnotherSessionRanksHigher)]
    [TestCase("Busy", "InAConferenceCall", "Busy/InACall", PresenceSessionStatus.Active, PresenceMaskReason.AnotherSessionRanksHigher)]
    [TestCase("Offline", "Offline", "Busy/InACall", PresenceSessionStatus.Active, PresenceMaskReason.SessionEnded)]
    [TestCase("Offline", "Offline", "Available", PresenceSessionStatus.Lapsed, PresenceMaskReason.SessionEnded)]
    [TestCase("Available", "AvailableInactive", "Available", PresenceSessionStatus.Lapsed, PresenceMaskReason.SessionEnded)]
    [TestCase("Away", "Away", "Available", PresenceSessionStatus.Failed, PresenceMaskReason.SessionEnded)]
    [TestCase("Busy", "InAMeeting", "Available", PresenceSessionStatus.Active, PresenceMaskReason.Unknown)]
    [TestCase("Away", "OutOfOffice", "Busy/InACall", PresenceSessionStatus.Active, PresenceMaskReason.Unknown)]
    public void InferReason_SeenAgainstDesired_NamesTheCauseGraphsAggregationImplies(
        string availability, string activity, string desired, PresenceSessionStatus status, PresenceMaskReason expected)
    {
        var seen = new SeenPresence("adele@contoso.com", availability, activity, DateTimeOffset.UnixEpoch);

        var reason = PresenceSession.InferReason(seen, PresenceState.Parse(desired), status);

        Assert.That(reason, Is.EqualTo(expected));
    }
}
