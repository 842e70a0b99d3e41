namespace PresenceKeepAlive.Tests.States;

public class PreferredPresenceTests
{
    [TestCase("DoNotDisturb", "DoNotDisturb")]
    [TestCase("busy", "BUSY")]
    [TestCase("Offline", "OffWork")]
    [TestCase("BeRightBack", "BeRightBack")]
    public void Parse_OneOfTheSixPairs_ReturnsIt(string availability, string activity)
    {
        var value = PreferredPresence.Parse(availability, activity);

        Assert.That(value.ToString(), Is.EqualTo($"{availability}/{activity}").IgnoreCase);
    }

    [TestCase("Busy", "InACall")]
    [TestCase("DoNotDisturb", "Presenting")]
    [TestCase("Offline", "Offline")]
    [TestCase("Available", "AvailableInactive")]
    public void Parse_PairNotAllowedForPreferredPresence_ThrowsListingTheSixAllowed(string availability, string activity)
    {
        var ex = Assert.Throws<FormatException>(() => PreferredPresence.Parse(availability, activity));

        Assert.That(ex!.Message, Does.Contain($"'{availability}/{activity}' is not a preferred presence").And.Contain(
            "Allowed pairs: Available/Available, Busy/Busy, DoNotDisturb/DoNotDisturb, BeRightBack/BeRightBack, Away/Away, Offline/OffWork"));
    }

    [TestCase("AppearOffline", "Offline/OffWork")]
    [TestCase("dnd", null)]
    [TestCase("DoNotDisturb", "DoNotDisturb/DoNotDisturb")]
    [TestCase("Offline/OffWork", "Offline/OffWork")]
    public void TryParse_SingleText_FindsTheNamedPairOnly(string text, string? expected)
    {
        var found = PreferredPresence.TryParse(text, out var value);

        Assert.That(found ? value!.ToString() : null, Is.EqualTo(expected));
    }

    [Test]
    public void DefaultExpiration_OneDayForBusyAndDoNotDisturbSevenForTheOthers()
    {
        var defaults = PreferredPresence.Values.ToDictionary(v => v.ToString(), v => v.DefaultExpiration.TotalDays);

        Assert.That(defaults, Is.EqualTo(new Dictionary<string, double>
        {
            ["Available/Available"] = 7,
            ["Busy/Busy"] = 1,
            ["DoNotDisturb/DoNotDisturb"] = 1,
            ["BeRightBack/BeRightBack"] = 7,
            ["Away/Away"] = 7,
            ["Offline/OffWork"] = 7,
        }));
    }
}

public class PresenceStatusMessageTests
{
    [TestCase("")]
    [TestCase("   ")]
    public void Constructor_NoText_ThrowsSayingToClearInstead(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new PresenceStatusMessage(text));

        Assert.That(ex!.Message, Does.Contain("clear it instead"));
    }

    [Test]
    public void Constructor_281Characters_ThrowsNamingTheLimit()
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new PresenceStatusMessage(new string('x', 281)));

        Assert.That(ex!.Message, Does.Contain("281 characters long; at most 280"));
    }

    [Test]
    public void Constructor_ControlCharacter_ThrowsNamingItsPosition()
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new PresenceStatusMessage("ok\u0007bell"));

        Assert.That(ex!.Message, Does.Contain("U+0007 at position 3"));
    }

    [Test]
    public void Constructor_280CharactersWithLineBreakAndEmoji_IsAccepted()
    {
        var text = "Line one\nLine two \U0001F600" + new string('x', 280 - 20);

        var message = new PresenceStatusMessage(text);

        Assert.That(message.Text, Has.Length.EqualTo(280));
    }
}
