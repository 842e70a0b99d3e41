namespace PresenceKeepAlive.Tests.States;

public class PresenceStateTests
{
    private const string AllPairs =
        "Available/Available, Busy/InACall, Busy/InAConferenceCall, Away/Away, DoNotDisturb/Presenting, Offline/Offline";

    private static IEnumerable<TestCaseData> NamedPairs()
    {
        yield return new TestCaseData("Available", "Available", PresenceState.Available);
        yield return new TestCaseData("Busy", "InACall", PresenceState.BusyInACall);
        yield return new TestCaseData("Busy", "InAConferenceCall", PresenceState.BusyInAConferenceCall);
        yield return new TestCaseData("Away", "Away", PresenceState.Away);
        yield return new TestCaseData("DoNotDisturb", "Presenting", PresenceState.DoNotDisturbPresenting);
        yield return new TestCaseData("Offline", "Offline", PresenceState.Offline);
    }

    [TestCaseSource(nameof(NamedPairs))]
    public void Parse_NamedPairInAnyCase_ReturnsTheSameInstance(string availability, string activity, PresenceState expected)
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(PresenceState.Parse(availability, activity), Is.SameAs(expected));
            Assert.That(PresenceState.Parse(availability.ToUpperInvariant(), activity.ToLowerInvariant()), Is.SameAs(expected));
            Assert.That(PresenceState.Parse($" {availability} ", $" {activity} "), Is.SameAs(expected));
            Assert.That(PresenceState.Parse($"{availability}/{activity}"), Is.SameAs(expected));
            Assert.That(PresenceState.Parse($"{availability.ToLowerInvariant()}/{activity.ToUpperInvariant()}"), Is.SameAs(expected));
            Assert.That(PresenceState.Parse(expected.ToString()), Is.SameAs(expected));
            Assert.That(expected.Availability, Is.EqualTo(availability));
            Assert.That(expected.Activity, Is.EqualTo(activity));
        }
    }

    [TestCase("away", "Away")]
    [TestCase("AVAILABLE", "Available")]
    [TestCase("offline", "Offline")]
    public void Parse_SingleWordNamingAPairWithEqualParts_ReturnsThatPair(string text, string availability)
    {
        var state = PresenceState.Parse(text);

        Assert.That(state, Is.SameAs(PresenceState.Parse(availability, availability)));
    }

    [TestCase("Busy")]
    [TestCase("Presenting")]
    [TestCase("InACall")]
    public void Parse_SingleWordWhosePairsDiffer_ThrowsFormatException(string text) =>
        Assert.That(() => PresenceState.Parse(text), Throws.InstanceOf<FormatException>().With.Message.Contain(AllPairs));

    [TestCase("Busy", "Busy")]
    [TestCase("Away", "InACall")]
    [TestCase("Available", "AvailableInactive")]
    [TestCase("Busy", "InAMeeting")]
    [TestCase("Away", "OutOfOffice")]
    [TestCase("BeRightBack", "BeRightBack")]
    [TestCase("", "")]
    public void Parse_UnsupportedPair_ThrowsFormatExceptionNamingThePairAndListingAllowedOnes(string availability, string activity)
    {
        var ex = Assert.Throws<FormatException>(() => PresenceState.Parse(availability, activity));

        Assert.That(ex.Message, Does.Contain($"'{availability}/{activity}'").And.Contain(AllPairs));
    }

    [TestCase("Busy/Busy")]
    [TestCase("Busy/InACall/Extra")]
    [TestCase("/")]
    [TestCase("")]
    public void Parse_UnsupportedText_ThrowsFormatExceptionNamingTheTextAndListingAllowedOnes(string text)
    {
        var ex = Assert.Throws<FormatException>(() => PresenceState.Parse(text));

        Assert.That(ex.Message, Does.Contain($"'{text}'").And.Contain(AllPairs));
    }

    [Test]
    public void Parse_OfflineForSetPresence_ThrowsListingSetPresencePairs()
    {
        var ex = Assert.Throws<FormatException>(() => PresenceState.Parse("Offline", "Offline", PresenceProtocol.SetPresence));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.Message, Does.Contain("'Offline/Offline'").And.Contain("SetPresence"));
            Assert.That(ex.Message, Does.Contain("Available/Available, Busy/InACall, Busy/InAConferenceCall, Away/Away, DoNotDisturb/Presenting."));
        }
    }

    [Test]
    public void Parse_DoNotDisturbPresentingForPatch_ThrowsListingPatchPairs()
    {
        var ex = Assert.Throws<FormatException>(() => PresenceState.Parse("donotdisturb", "presenting", PresenceProtocol.Patch));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.Message, Does.Contain("'donotdisturb/presenting'").And.Contain("Patch"));
            Assert.That(ex.Message, Does.Contain("Available/Available, Busy/InACall, Busy/InAConferenceCall, Away/Away, Offline/Offline."));
        }
    }

    [TestCase(PresenceProtocol.SetPresence, "busy", "inacall")]
    [TestCase(PresenceProtocol.SetPresence, "DoNotDisturb", "Presenting")]
    [TestCase(PresenceProtocol.Patch, "OFFLINE", "offline")]
    public void Parse_PairSupportedByProtocol_ReturnsIt(PresenceProtocol protocol, string availability, string activity)
    {
        var state = PresenceState.Parse(availability, activity, protocol);

        Assert.That(state, Is.SameAs(PresenceState.Parse(availability, activity)));
        Assert.That(state.IsSupportedBy(protocol), Is.True);
    }

    [Test]
    public void ValuesFor_SetPresence_IsTheV1Pairs() =>
        Assert.That(
            PresenceState.ValuesFor(PresenceProtocol.SetPresence),
            Is.EqualTo(new[] { PresenceState.Available, PresenceState.BusyInACall, PresenceState.BusyInAConferenceCall, PresenceState.Away, PresenceState.DoNotDisturbPresenting }));

    [Test]
    public void ValuesFor_Patch_IsTheSeedPairs() =>
        Assert.That(
            PresenceState.ValuesFor(PresenceProtocol.Patch),
            Is.EqualTo(new[] { PresenceState.Available, PresenceState.BusyInACall, PresenceState.BusyInAConferenceCall, PresenceState.Away, PresenceState.Offline }));

    [Test]
    public void ValuesFor_UndefinedProtocol_ThrowsArgumentOutOfRange() =>
        Assert.That(() => PresenceState.ValuesFor((PresenceProtocol)9), Throws.InstanceOf<ArgumentOutOfRangeException>());

    [Test]
    public void Values_AllPairs_AreDistinctAndEachSupportedBySomeProtocol()
    {
        Assert.That(PresenceState.Values, Is.Unique.And.Count.EqualTo(6));
        Assert.That(
            PresenceState.Values,
            Has.All.Matches<PresenceState>(s => s!.IsSupportedBy(PresenceProtocol.SetPresence) || s!.IsSupportedBy(PresenceProtocol.Patch)));
    }

    [Test]
    public void IsSupportedBy_UndefinedProtocol_IsFalse() =>
        Assert.That(PresenceState.Available.IsSupportedBy((PresenceProtocol)9), Is.False);

    [TestCase(null, "Away")]
    [TestCase("Away", null)]
    [TestCase(null, null)]
    public void TryParse_NullPart_ReturnsFalseAndNull(string? availability, string? activity)
    {
        var parsed = PresenceState.TryParse(availability, activity, out var state);

        Assert.That(parsed, Is.False);
        Assert.That(state, Is.Null);
    }

    [Test]
    public void TryParse_NullText_ReturnsFalseAndNull()
    {
        var parsed = PresenceState.TryParse(null, out var state);

        Assert.That(parsed, Is.False);
        Assert.That(state, Is.Null);
    }

    [Test]
    public void TryParse_SupportedText_ReturnsTrueAndThePair()
    {
        var parsed = PresenceState.TryParse("busy/InAConferenceCall", out var state);

        Assert.That(parsed, Is.True);
        Assert.That(state, Is.SameAs(PresenceState.BusyInAConferenceCall));
    }

    [Test]
    public void Parse_NullArguments_ThrowArgumentNullException()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => PresenceState.Parse(null!), Throws.ArgumentNullException);
            Assert.That(() => PresenceState.Parse(null!, "Away"), Throws.ArgumentNullException);
            Assert.That(() => PresenceState.Parse("Away", null!), Throws.ArgumentNullException);
            Assert.That(() => PresenceState.Parse(null!, "Away", PresenceProtocol.Patch), Throws.ArgumentNullException);
        }
    }

    [Test]
    public void Equals_SamePairParsedTwice_IsEqualWithEqualHashCodes()
    {
        var a = PresenceState.Parse("Busy/InACall");
        var b = PresenceState.Parse("BUSY", "INACALL");

        Assert.That(a, Is.EqualTo(b));
        Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
        Assert.That(a, Is.Not.EqualTo(PresenceState.BusyInAConferenceCall));
    }

    [Test]
    public void ToString_Pair_IsAvailabilitySlashActivity() =>
        Assert.That(PresenceState.DoNotDisturbPresenting.ToString(), Is.EqualTo("DoNotDisturb/Presenting"));
}
