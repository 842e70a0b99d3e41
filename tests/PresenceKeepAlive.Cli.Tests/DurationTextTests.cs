namespace PresenceKeepAlive.Cli.Tests;

public class DurationTextTests
{
    [TestCase("90s", 90)]
    [TestCase("15m", 900)]
    [TestCase("2h", 7200)]
    [TestCase("1d", 86400)]
    [TestCase("1h30m", 5400)]
    [TestCase("00:30:00", 1800)]
    [TestCase("PT30M", 1800)]
    [TestCase("45", 45)]
    public void Parse_EveryDocumentedForm_GivesTheDuration(string text, int seconds)
    {
        Assert.That(DurationText.Parse(text, "--for"), Is.EqualTo(TimeSpan.FromSeconds(seconds)));
    }

    [TestCase("")]
    [TestCase("soon")]
    [TestCase("0s")]
    [TestCase("5w")]
    [TestCase("-5m")]
    public void Parse_NotAPositiveDuration_ThrowsNamingTheOptionAndTheForms(string text)
    {
        var ex = Assert.Throws<FormatException>(() => DurationText.Parse(text, "--for"));

        Assert.That(ex!.Message, Does.Contain("--for").And.Contain(DurationText.Forms));
    }
}
