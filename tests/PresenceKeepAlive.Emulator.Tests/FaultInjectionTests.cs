using System.Diagnostics;
using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class FaultInjectionTests
{
    [Test]
    public async Task AddFault_StatusWithCount_FailsNextRequestsThenServes()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        sut.Emulator.AddFault(new FaultRule { StatusCode = 503, Count = 2, RetryAfter = TimeSpan.FromSeconds(3) });

        using var first = await sut.SetPresenceAsync(user, EmulatorHarness.NewId(), "Busy", "InACall");
        var error = await EmulatorHarness.ReadErrorAsync(first);
        using var second = await sut.Client.GetAsync($"users/{user}/presence");
        using var third = await sut.Client.GetAsync($"users/{user}/presence");

        Assert.That((int)first.StatusCode, Is.EqualTo(503));
        Assert.That(error.Code, Is.EqualTo("ServiceUnavailable"));
        Assert.That(first.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That((int)second.StatusCode, Is.EqualTo(503));
        Assert.That((int)third.StatusCode, Is.EqualTo(200));
        Assert.That(sut.Presence(user), Is.EqualTo("Offline/Offline"), "a faulted write must not change state");
        Assert.That(sut.Emulator.Counters.InjectedFaults, Is.EqualTo(2));
        Assert.That(sut.Emulator.Faults, Is.Empty, "a spent rule is no longer listed");
    }

    [Test]
    public async Task AddFault_WithErrorCode_UsesIt()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        sut.Emulator.AddFault(new FaultRule { StatusCode = 403, ErrorCode = "Authorization_RequestDenied" });

        using var response = await sut.Client.GetAsync($"users/{EmulatorHarness.NewId()}/presence");
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(403));
        Assert.That(error.Code, Is.EqualTo("Authorization_RequestDenied"));
    }

    [Test]
    public async Task AddFault_OperationFilter_OnlyAffectsThatOperation()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        sut.Emulator.AddFault(new FaultRule { StatusCode = 500, Operation = EmulatorOperation.SetPresence });

        using var read = await sut.Client.GetAsync($"users/{user}/presence");
        using var write = await sut.SetPresenceAsync(user, EmulatorHarness.NewId(), "Away", "Away");

        Assert.That((int)read.StatusCode, Is.EqualTo(200));
        Assert.That((int)write.StatusCode, Is.EqualTo(500));
    }

    [Test]
    public async Task AddFault_PathFilter_OnlyAffectsMatchingPaths()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var victim = EmulatorHarness.NewId();
        sut.Emulator.AddFault(new FaultRule { StatusCode = 502, PathContains = victim });

        using var other = await sut.Client.GetAsync($"users/{EmulatorHarness.NewId()}/presence");
        using var hit = await sut.Client.GetAsync($"users/{victim}/presence");

        Assert.That((int)other.StatusCode, Is.EqualTo(200));
        Assert.That((int)hit.StatusCode, Is.EqualTo(502));
    }

    [Test]
    public async Task AddFault_DropConnection_ClientGetsHttpRequestException()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        sut.Emulator.AddFault(new FaultRule { DropConnection = true, Count = 1 });

        await Assert.ThrowsAsync<HttpRequestException>(() => sut.SetPresenceAsync(user, EmulatorHarness.NewId(), "Busy", "InACall"));
        using var next = await sut.Client.GetAsync($"users/{user}/presence");

        Assert.That((int)next.StatusCode, Is.EqualTo(200));
        Assert.That(sut.Presence(user), Is.EqualTo("Offline/Offline"));
        Assert.That(sut.Emulator.Counters.InjectedFaults, Is.EqualTo(1));
    }

    [Test]
    public async Task AddFault_Delay_HoldsResponseUntilFakeTimeAdvances()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        sut.Emulator.AddFault(new FaultRule { Delay = TimeSpan.FromSeconds(10), Count = 1 });

        var pending = sut.SetPresenceAsync(user, EmulatorHarness.NewId(), "Busy", "InACall");
        await WaitUntilAsync(() => sut.Emulator.Counters.InjectedFaults == 1);
        sut.Time.Advance(TimeSpan.FromSeconds(9));
        var completedEarly = pending.IsCompleted;
        sut.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await pending;

        Assert.That(completedEarly, Is.False);
        Assert.That((int)response.StatusCode, Is.EqualTo(200), "a delay-only fault serves the request afterwards");
        Assert.That(sut.Presence(user), Is.EqualTo("Busy/InACall"));
    }

    [Test]
    public async Task AddFault_DelayThenStatus_DelaysAndFails()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        sut.Emulator.AddFault(new FaultRule { Delay = TimeSpan.FromSeconds(30), StatusCode = 504 });

        var pending = sut.Client.GetAsync($"users/{EmulatorHarness.NewId()}/presence");
        await WaitUntilAsync(() => sut.Emulator.Counters.InjectedFaults == 1);
        sut.Time.Advance(TimeSpan.FromSeconds(30));
        using var response = await pending;

        Assert.That((int)response.StatusCode, Is.EqualTo(504));
        Assert.That((await EmulatorHarness.ReadErrorAsync(response)).Code, Is.EqualTo("GatewayTimeout"));
    }

    [Test]
    public async Task AddFault_Window_AppliesOnlyInsideEmulatedWindow()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.TimeScale = 60);
        var user = EmulatorHarness.NewId();
        sut.Emulator.AddFault(new FaultRule
        {
            StatusCode = 503,
            From = EmulatorHarness.Start.AddMinutes(10),
            Until = EmulatorHarness.Start.AddMinutes(20),
        });
        var statuses = new List<int>();

        foreach (var realSeconds in new[] { 0, 10, 10, 10 })
        {
            sut.Time.Advance(TimeSpan.FromSeconds(realSeconds));
            using var response = await sut.Client.GetAsync($"users/{user}/presence");
            statuses.Add((int)response.StatusCode);
        }

        // Emulated minutes 0, 10, 20, 30: only minute 10 is inside [10, 20).
        Assert.That(statuses, Is.EqualTo(new[] { 200, 503, 200, 200 }));
    }

    [Test]
    public async Task AddFault_Probability_FailsAboutThatShare()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.RandomSeed = 1234);
        sut.Emulator.AddFault(new FaultRule { StatusCode = 500, Probability = 0.25 });
        var failures = 0;

        for (var i = 0; i < 400; i++)
        {
            using var response = await sut.Client.GetAsync($"users/{EmulatorHarness.NewId()}/presence");
            failures += (int)response.StatusCode == 500 ? 1 : 0;
        }

        Assert.That(failures, Is.InRange(60, 140));
        Assert.That(sut.Emulator.Counters.InjectedFaults, Is.EqualTo(failures));
    }

    [Test]
    public async Task AddFault_ProbabilityZero_NeverFires()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        sut.Emulator.AddFault(new FaultRule { StatusCode = 500, Probability = 0 });

        for (var i = 0; i < 50; i++)
        {
            Assert.That(await sut.GetPresenceAsync(EmulatorHarness.NewId()), Is.EqualTo("Offline/Offline"));
        }
    }

    [Test]
    public async Task ClearFaults_AfterAddFault_RequestsAreServed()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        sut.Emulator.AddFault(new FaultRule { StatusCode = 503 });
        using (var failed = await sut.Client.GetAsync($"users/{EmulatorHarness.NewId()}/presence"))
        {
            Assert.That((int)failed.StatusCode, Is.EqualTo(503));
        }

        sut.Emulator.ClearFaults();
        using var response = await sut.Client.GetAsync($"users/{EmulatorHarness.NewId()}/presence");

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
    }

    [Test]
    public async Task AddFault_AdminRequests_AreNeverFaulted()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        sut.Emulator.AddFault(new FaultRule { StatusCode = 503 });
        using var admin = new HttpClient { BaseAddress = sut.Emulator.BaseAddress };

        using var response = await admin.GetAsync("_emulator/state");

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
    }

    [Test]
    public async Task DisposeAsync_WhileDelayFaultHoldsRequest_AbortsItPromptly()
    {
        var sut = await EmulatorHarness.StartAsync();
        sut.Emulator.AddFault(new FaultRule { Delay = TimeSpan.FromHours(1) });
        var pending = sut.Client.GetAsync($"users/{EmulatorHarness.NewId()}/presence");
        await WaitUntilAsync(() => sut.Emulator.Counters.InjectedFaults == 1);

        var stopwatch = Stopwatch.StartNew();
        await sut.DisposeAsync();

        Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)));
        await Assert.CatchAsync(async () => await pending);
    }

    private static readonly (FaultRule Rule, string Because)[] InvalidRules =
    [
        (new FaultRule(), "no effect"),
        (new FaultRule { StatusCode = 200 }, "not an error status"),
        (new FaultRule { StatusCode = 503, Probability = 1.5 }, "probability above 1"),
        (new FaultRule { StatusCode = 503, Count = 0 }, "count below 1"),
        (new FaultRule { Delay = TimeSpan.FromSeconds(-1) }, "negative delay"),
        (new FaultRule { StatusCode = 503, From = EmulatorHarness.Start, Until = EmulatorHarness.Start }, "empty window"),
    ];

    [Test]
    public async Task AddFault_InvalidRule_ThrowsArgumentException()
    {
        await using var sut = await EmulatorHarness.StartAsync();

        foreach (var (rule, because) in InvalidRules)
        {
            Assert.Throws<ArgumentException>(() => sut.Emulator.AddFault(rule), because);
        }

        Assert.That(sut.Emulator.Faults, Is.Empty);
    }

    /// <summary>Waits for a condition another thread will make true; a safety cap turns a hang into a failure.</summary>
    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            if (stopwatch.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Fail("The condition did not become true within 10 s.");
            }

            await Task.Yield();
        }
    }
}
