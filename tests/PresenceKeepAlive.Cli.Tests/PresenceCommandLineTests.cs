using PresenceKeepAlive.Emulator;

namespace PresenceKeepAlive.Cli.Tests;

/// <summary>The <c>presence</c> commands, in process, against the emulator over loopback.</summary>
public class PresenceCommandLineTests
{
    private const string Adele = "adele@contoso.com";
    private const string Alex = "alex@contoso.com";
    private const string AdeleId = "0a1b2c3d-0000-4000-8000-00000000ad01";
    private const string AlexId = "0a1b2c3d-0000-4000-8000-00000000a1e7";
    private static readonly TimeSpan RealTimeCap = TimeSpan.FromSeconds(20);

    [Test]
    public async Task Set_WithoutKeepAlive_SetsOnceAndLeavesTheSessionToItsLease()
    {
        await using var emulator = await PresenceEmulator.StartAsync();

        var run = await RunAsync(emulator, "set", Adele, "Busy", "InACall");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.Success), run.Error);
            Assert.That(run.Output, Does.Contain("adele@contoso.com: Busy/InACall set"));
            Assert.That(Describe(emulator.GetPresence(Adele)), Is.EqualTo("Busy/InACall"));
            Assert.That(emulator.GetSessions(Adele), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task SetKeepAlive_Interrupted_SignsOffAndExitsZero()
    {
        await using var emulator = await PresenceEmulator.StartAsync();
        using var stop = new CancellationTokenSource();
        var output = new SynchronizedStringWriter();
        var error = new SynchronizedStringWriter();

        var running = PresenceCommandLine.RunAsync(
            ["set", Adele, "Busy", "InACall", "--keep-alive", "--base-url", emulator.GraphV1Url.ToString()], output, error, _ => null, stop.Token);
        // The status line is written once the session is active and its presence confirmed: no polling.
        await output.WaitForAsync("Active, confirmed").WaitAsync(RealTimeCap);
        var whileKept = Describe(emulator.GetPresence(Adele));
        await stop.CancelAsync();
        var exitCode = await running.WaitAsync(RealTimeCap);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.EqualTo(ExitCodes.Success), error.ToString());
            Assert.That(whileKept, Is.EqualTo("Busy/InACall"));
            Assert.That(output.ToString(), Does.Contain("keeping Busy/InACall alive").And.Contain("Active, confirmed").And.Contain("adele@contoso.com: signed off"));
            Assert.That(Describe(emulator.GetPresence(Adele)), Is.EqualTo("Offline/Offline"));
            Assert.That(emulator.GetSessions(Adele), Is.Empty);
        }
    }

    [Test]
    public async Task Set_PairGraphDoesNotAccept_ExitsTwoListingTheAllowedPairsAndSendsNothing()
    {
        await using var emulator = await PresenceEmulator.StartAsync();

        var run = await RunAsync(emulator, "set", Adele, "Busy", "Presenting");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.InvalidInput));
            Assert.That(run.Error, Does.Contain("Allowed pairs: Available/Available, Busy/InACall"));
            Assert.That(emulator.Counters.TotalRequests, Is.Zero);
        }
    }

    [TestCase("set", "adele@contoso.com", "Busy")]
    [TestCase("unknown-command")]
    [TestCase("set", "adele@contoso.com", "Busy", "InACall", "--no-such-option")]
    public async Task BadCommandLine_ExitsTwo(params string[] args)
    {
        var error = new StringWriter();

        var exitCode = await PresenceCommandLine.RunAsync(args, new StringWriter(), error, _ => null, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.EqualTo(ExitCodes.InvalidInput));
            Assert.That(error.ToString(), Does.Contain("presence --help"));
        }
    }

    [Test]
    public async Task Preferred_DoNotDisturb_MasksTheAppSessionInStatusAndClearShowsItAgain()
    {
        await using var emulator = await PresenceEmulator.StartAsync();
        Assert.That((await RunAsync(emulator, "set", AdeleId, "Busy", "InACall")).ExitCode, Is.Zero);

        var preferred = await RunAsync(emulator, "preferred", AdeleId, "DoNotDisturb", "--for", "2h");
        var masked = await RunAsync(emulator, "status", AdeleId, AlexId);
        var cleared = await RunAsync(emulator, "preferred", AdeleId, "--clear");
        var shown = await RunAsync(emulator, "status", AdeleId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(preferred.Output, Does.Contain("preferred presence DoNotDisturb/DoNotDisturb for 02:00:00"));
            Assert.That(masked.Output, Is.EqualTo($"{AdeleId} DoNotDisturb/DoNotDisturb{Environment.NewLine}{AlexId} Offline/Offline{Environment.NewLine}"));
            Assert.That(cleared.ExitCode, Is.Zero);
            Assert.That(shown.Output.Trim(), Is.EqualTo($"{AdeleId} Busy/InACall"));
        }
    }

    [Test]
    public async Task Status_UserPrincipalName_ExitsTwoNamingIt()
    {
        await using var emulator = await PresenceEmulator.StartAsync();

        var run = await RunAsync(emulator, "status", AdeleId, Adele);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.InvalidInput));
            Assert.That(run.Error, Does.Contain($"'{Adele}'").And.Contain("object id"));
            Assert.That(run.Output, Is.Empty);
        }
    }

    [Test]
    public async Task Preferred_PairNotAllowed_ExitsTwoListingTheSix()
    {
        await using var emulator = await PresenceEmulator.StartAsync();

        var run = await RunAsync(emulator, "preferred", Adele, "Busy", "InACall");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.InvalidInput));
            Assert.That(run.Error, Does.Contain("Offline/OffWork"));
            Assert.That(emulator.Counters.TotalRequests, Is.Zero);
        }
    }

    [Test]
    public async Task Message_SetThenClear_ShowsInThePresenceAndGoes()
    {
        await using var emulator = await PresenceEmulator.StartAsync();
        using var http = new HttpClient { BaseAddress = emulator.GraphV1Url };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "test");

        var set = await RunAsync(emulator, "message", Adele, "In the lab until 3", "--for", "3h");
        var withMessage = await http.GetStringAsync($"users/{Adele}/presence");
        var clear = await RunAsync(emulator, "message", Adele, "--clear");
        var withoutMessage = await http.GetStringAsync($"users/{Adele}/presence");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(set.ExitCode, Is.Zero, set.Error);
            Assert.That(withMessage, Does.Contain("\"content\":\"In the lab until 3\"").And.Contain("\"timeZone\":\"UTC\""));
            Assert.That(clear.ExitCode, Is.Zero, clear.Error);
            Assert.That(withoutMessage, Does.Not.Contain("statusMessage"));
        }
    }

    [Test]
    public async Task Message_TooLong_ExitsTwoAndSendsNothing()
    {
        await using var emulator = await PresenceEmulator.StartAsync();

        var run = await RunAsync(emulator, "message", Adele, new string('x', 300));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.InvalidInput));
            Assert.That(run.Error, Does.Contain("at most 280"));
            Assert.That(emulator.Counters.TotalRequests, Is.Zero);
        }
    }

    [Test]
    public async Task Clear_SessionSetByAnEarlierRun_SignsItOff()
    {
        await using var emulator = await PresenceEmulator.StartAsync();
        Assert.That((await RunAsync(emulator, "set", Adele, "Away", "Away")).ExitCode, Is.Zero);

        var run = await RunAsync(emulator, "clear", Adele);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.ExitCode, Is.Zero, run.Error);
            Assert.That(emulator.GetSessions(Adele), Is.Empty);
            Assert.That(Describe(emulator.GetPresence(Adele)), Is.EqualTo("Offline/Offline"));
        }
    }

    [Test]
    public async Task SignedInUser_SetAndStatusOfMe_GoToTheSignedInUsersPresence()
    {
        await using var emulator = await PresenceEmulator.StartAsync();

        var set = await RunAsync(emulator, "set", "me", "DoNotDisturb", "Presenting", "--emulator-user", Adele);
        var status = await RunAsync(emulator, "status", "me", "--emulator-user", Adele);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(set.ExitCode, Is.Zero, set.Error);
            Assert.That(Describe(emulator.GetPresence(Adele)), Is.EqualTo("DoNotDisturb/Presenting"));
            Assert.That(status.Output.Trim(), Is.EqualTo("me DoNotDisturb/Presenting"));
        }
    }

    [Test]
    public async Task Set_PermissionMissing_ExitsThree()
    {
        await using var emulator = await PresenceEmulator.StartAsync();
        emulator.AddFault(new FaultRule { StatusCode = 403, Operation = EmulatorOperation.SetPresence });

        var run = await RunAsync(emulator, "set", Adele, "Busy", "InACall");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.NotAuthorized));
            Assert.That(run.Error, Does.Contain("403"));
        }
    }

    [TestCase("60d")]
    [TestCase("50d")]
    public async Task SetFor_LongerThanThirtyDays_ExitsTwoBeforeSendingAnything(string keepFor)
    {
        await using var emulator = await PresenceEmulator.StartAsync();

        var run = await RunAsync(emulator, "set", Adele, "Busy", "InACall", "--for", keepFor);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.InvalidInput));
            Assert.That(run.Error, Does.Contain("--for").And.Contain("30 days"));
            Assert.That(emulator.GetSessions(Adele), Is.Empty, "nothing was sent");
            Assert.That(emulator.GetHistory(Adele), Is.Empty);
        }
    }

    [TestCase("set", "--for")]
    [TestCase("preferred", "--for")]
    public async Task For_TooLargeForATimeSpan_ExitsTwoAsInvalidInput(string verb, string option)
    {
        await using var emulator = await PresenceEmulator.StartAsync();

        var run = verb == "set"
            ? await RunAsync(emulator, "set", Adele, "Busy", "InACall", option, "999999999d")
            : await RunAsync(emulator, "preferred", Adele, "DoNotDisturb", option, "999999999d");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.InvalidInput));
            Assert.That(run.Error, Does.Contain("'999999999d' is not a positive duration"));
            Assert.That(emulator.GetHistory(Adele), Is.Empty);
        }
    }

    [Test]
    public async Task SetKeepAlive_FirstSetFailsTransiently_SignsOffBeforeExiting()
    {
        await using var emulator = await PresenceEmulator.StartAsync();
        emulator.AddFault(new FaultRule { StatusCode = 503, Operation = EmulatorOperation.SetPresence, RetryAfter = TimeSpan.Zero });

        var run = await RunAsync(emulator, "set", Adele, "Busy", "InACall", "--keep-alive");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.RequestFailed), run.Output + run.Error);
            Assert.That(run.Output, Does.Contain("adele@contoso.com: signed off"));
            Assert.That(emulator.GetSessions(Adele), Is.Empty, "no session is left behind");
        }
    }

    [Test]
    public async Task RealGraph_NoClientId_ExitsTwoSayingWhatToSet()
    {
        var error = new StringWriter();

        var exitCode = await PresenceCommandLine.RunAsync(["clear", Adele], new StringWriter(), error, _ => null, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.EqualTo(ExitCodes.InvalidInput));
            Assert.That(error.ToString(), Does.Contain("--client-id").And.Contain("PRESENCE_CLIENT_ID"));
        }
    }

    [Test]
    public async Task RealGraph_NoCredential_ExitsThree()
    {
        var error = new StringWriter();
        var environment = new Dictionary<string, string?> { ["PRESENCE_CLIENT_ID"] = "9b0e3d2a-6c1f-4f7e-8a5d-3c2b1a0f9e8d", ["PRESENCE_TENANT_ID"] = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f" };

        var exitCode = await PresenceCommandLine.RunAsync(["clear", Adele], new StringWriter(), error, k => environment.GetValueOrDefault(k), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.EqualTo(ExitCodes.NotAuthorized));
            Assert.That(error.ToString(), Does.Contain("No credential"));
        }
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(PresenceEmulator emulator, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await PresenceCommandLine.RunAsync([.. args, "--base-url", emulator.GraphV1Url.ToString()], output, error, _ => null, CancellationToken.None)
            .WaitAsync(RealTimeCap);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string Describe(EmulatedPresence presence) => presence.Availability + "/" + presence.Activity;
}

/// <summary>A <see cref="StringWriter"/> the test may read while the command writes from another thread.</summary>
internal sealed class SynchronizedStringWriter : StringWriter
{
    private readonly object _lock = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];

    public override void Write(char value)
    {
        lock (_lock)
        {
            base.Write(value);
            Signal();
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_lock)
        {
            base.Write(buffer, index, count);
            Signal();
        }
    }

    public override void Write(string? value)
    {
        lock (_lock)
        {
            base.Write(value);
            Signal();
        }
    }

    /// <summary>Completes when the text written so far contains <paramref name="text"/>.</summary>
    public Task WaitForAsync(string text)
    {
        lock (_lock)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((text, seen));
            Signal();
            return seen.Task;
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return base.ToString();
        }
    }

    private void Signal()
    {
        if (_waiters.Count == 0)
        {
            return;
        }

        var written = base.ToString();
        _waiters.RemoveAll(w =>
        {
            if (!written.Contains(w.Text, StringComparison.Ordinal))
            {
                return false;
            }

            w.Seen.TrySetResult();
            return true;
        });
    }
}
