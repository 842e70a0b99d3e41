using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Emulator.Internal;

namespace PresenceKeepAlive.Emulator.Tests.Internal;

public class EmulatorCommandLineTests
{
    [Test]
    public void Parse_NoArguments_UsesPort5080AndGraphDefaults()
    {
        var options = EmulatorCommandLine.Parse([])!;

        Assert.That(options.Port, Is.EqualTo(5080));
        Assert.That(options.Host, Is.EqualTo("127.0.0.1"));
        Assert.That(options.Mode, Is.EqualTo(PresenceEmulatorMode.Graph));
        Assert.That(options.TimeScale, Is.EqualTo(1.0));
        Assert.That(options.MinimumLogLevel, Is.EqualTo(LogLevel.Information));
    }

    [Test]
    public void Parse_EveryOption_SetsIt()
    {
        var options = EmulatorCommandLine.Parse(
        [
            "--port", "0", "--host", "::1", "--allow-non-loopback", "--time-scale", "60", "--mode", "seed",
            "--inactivity-timeout", "00:02:00", "--throttle-limit", "10", "--throttle-window", "00:01:00",
            "--no-throttling", "--no-auth", "--log-level", "debug",
        ])!;

        Assert.That(options.Port, Is.Zero);
        Assert.That(options.Host, Is.EqualTo("::1"));
        Assert.That(options.AllowNonLoopback, Is.True);
        Assert.That(options.TimeScale, Is.EqualTo(60.0));
        Assert.That(options.Mode, Is.EqualTo(PresenceEmulatorMode.Seed));
        Assert.That(options.InactivityTimeout, Is.EqualTo(TimeSpan.FromMinutes(2)));
        Assert.That(options.ThrottleLimit, Is.EqualTo(10));
        Assert.That(options.ThrottleWindow, Is.EqualTo(TimeSpan.FromMinutes(1)));
        Assert.That(options.ThrottlingEnabled, Is.False);
        Assert.That(options.RequireBearerToken, Is.False);
        Assert.That(options.MinimumLogLevel, Is.EqualTo(LogLevel.Debug));
    }

    [Test]
    public void Parse_Help_ReturnsNull()
    {
        Assert.That(EmulatorCommandLine.Parse(["--help"]), Is.Null);
    }

    [TestCase("--bogus")]
    [TestCase("--port")]
    [TestCase("--mode", "azure")]
    [TestCase("--mode", "1")]
    public void Parse_UnknownArgumentOrMissingValue_ThrowsArgumentException(params string[] args)
    {
        Assert.Throws<ArgumentException>(() => EmulatorCommandLine.Parse(args));
    }

    [TestCase("--port", "eighty")]
    [TestCase("--port", "-1")]
    [TestCase("--time-scale", "fast")]
    public void Parse_UnparsableValue_ThrowsFormatException(params string[] args)
    {
        Assert.Throws<FormatException>(() => EmulatorCommandLine.Parse(args));
    }
}
