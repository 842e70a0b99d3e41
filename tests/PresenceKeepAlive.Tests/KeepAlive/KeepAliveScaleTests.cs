using System.Globalization;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Tests.Fakes;

namespace PresenceKeepAlive.Tests.KeepAlive;

public class KeepAliveScaleTests
{
    [Test]
    public async Task SetAsync_TenThousandSessionsUnderDefaultBudget_NoThrottlingAndNoLapseFor30Minutes()
    {
        await using var sut = CreateSut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        using var lapses = new MetricCollector<long>(sut.Metrics.Meter, "presencekeepalive.sessions.lapses");
        using var overCapacity = new MetricCollector<long>(sut.Metrics.Meter, "presencekeepalive.rate_budget.over_capacity");
        sut.Protocol.BudgetLimit = 1500;
        sut.Protocol.BudgetWindow = TimeSpan.FromSeconds(30);
        sut.Protocol.RecordCalls = false;

        // All 10,000 started within one second: the budget spreads the first sends, and so their refreshes.
        var sets = new List<Task>(10_000);
        for (var i = 0; i < 10_000; i++)
        {
            sets.Add(sut.Manager.GetOrCreate(UserId(i)).SetAsync(i % 2 == 0 ? PresenceState.Available : PresenceState.BusyInACall));
        }

        // Steps of 0.1 s, as a real timer would fire.
        sut.Time.Run(TimeSpan.FromMinutes(15), TimeSpan.FromMilliseconds(100));
        var callsAfterStartup = sut.Protocol.CallCount;
        sut.Time.Run(TimeSpan.FromMinutes(15), TimeSpan.FromMilliseconds(100));
        await Task.WhenAll(sets).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(sut.Protocol.ThrottledCount, Is.Zero, "no 429");
            Assert.That(sut.Protocol.LapseCount, Is.Zero, "no user went 5 minutes without an accepted send");
            Assert.That(sut.Protocol.LongestGap, Is.LessThanOrEqualTo(TimeSpan.FromMinutes(5)));
            Assert.That(lapses.GetMeasurementSnapshot().EvaluateAsCounter(), Is.Zero);
            Assert.That(overCapacity.GetMeasurementSnapshot().EvaluateAsCounter(), Is.Zero);
            Assert.That(sut.Manager.Sessions.All(s => s.Status == PresenceSessionStatus.Active), Is.True);

            // No waste: in steady state, one request per session per refresh period (5:00 less the 25 s margin).
            var ideal = 10_000 * 15 * 60 / 275.0;
            Assert.That(sut.Protocol.CallCount - callsAfterStartup, Is.InRange(ideal * 0.97, ideal * 1.03));
        });
    }

    [Test]
    public async Task SetAsync_MoreSessionsThanTheBudgetHolds_WarnsOnceAndCountsIt()
    {
        // 30 per 30 s holds a couple of hundred sessions at a 4-minute refresh.
        await using var sut = CreateSut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = 30 });
        using var overCapacity = new MetricCollector<long>(sut.Metrics.Meter, "presencekeepalive.rate_budget.over_capacity");
        var capacity = sut.Manager.CapacitySessions;

        for (var i = 0; i < capacity; i++)
        {
            _ = sut.Manager.GetOrCreate(UserId(i)).SetAsync(PresenceState.Available);
        }

        Assert.That(overCapacity.GetMeasurementSnapshot(), Is.Empty, "at capacity is still fine");
        for (var i = (int)capacity; i < capacity + 20; i++)
        {
            _ = sut.Manager.GetOrCreate(UserId(i)).SetAsync(PresenceState.Available);
        }

        var warnings = sut.Logger.Collector.GetSnapshot().Where(r => r.Id.Id == 109).ToList();
        Assert.That(overCapacity.GetMeasurementSnapshot().EvaluateAsCounter(), Is.EqualTo(1));
        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0].Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(warnings[0].Message, Does.Contain((capacity + 1).ToString(CultureInfo.InvariantCulture)).And.Contain("30 requests"));
    }

    [Test]
    public async Task SetAsync_ScarceBudget_SentBeforeDueRefreshes()
    {
        // 1 per 10 s (a window this small is not smoothed); refreshes every 30 s.
        await using var sut = CreateSut(new PresenceKeepAliveOptions
        {
            SignOffOnDispose = false,
            RateLimitPerWindow = 1,
            RateLimitWindow = TimeSpan.FromSeconds(10),
            RefreshInterval = TimeSpan.FromSeconds(30),
            SessionTimeout = TimeSpan.FromMinutes(10),
        });
        var sets = new List<Task>();
        foreach (var user in new[] { "a", "b", "d" })
        {
            sets.Add(sut.Manager.GetOrCreate(user + "@contoso.com").SetAsync(PresenceState.Available));
        }

        // A place frees 10 s (and a tick) after each request. c's state change, made at 45 s, waits for the place
        // that frees at 50.4 s, where d's refresh (due at 50.2 s) also waits: the state change goes first.
        sut.Time.Run(TimeSpan.FromSeconds(45), TimeSpan.FromMilliseconds(100));
        sets.Add(sut.Manager.GetOrCreate("c@contoso.com").SetAsync(PresenceState.BusyInACall));
        sut.Time.Run(TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100));
        await Task.WhenAll(sets).WaitAsync(TimeSpan.FromSeconds(10));

        var order = sut.Protocol.Calls.Take(7).Select(x => x.UserId[..1] + ":" + Math.Round((x.At - Clock.Start).TotalSeconds, 1).ToString(CultureInfo.InvariantCulture)).ToArray();
        Assert.That(order, Is.EqualTo(new[] { "a:0", "b:10.1", "d:20.2", "a:30.3", "b:40.4", "c:50.5", "d:60.6" }), "state changes go ahead of due refreshes");
    }

    [Test]
    public async Task Refresh_TwiceTheSessionsTheBudgetHolds_KeepsAStableSetAliveInsteadOfLettingAllLapse()
    {
        // 10 a second, a budget large enough to be smoothed like Graph's.
        await using var sut = CreateSut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = 300 });
        sut.Protocol.RecordCalls = false;
        var capacity = (int)sut.Manager.CapacitySessions;
        for (var i = 0; i < capacity * 2; i++)
        {
            _ = sut.Manager.GetOrCreate(UserId(i)).SetAsync(PresenceState.Available);
        }

        // Start-up (every first set goes first) lapses everyone once; then the budget should settle on a stable set.
        sut.Time.Run(TimeSpan.FromMinutes(60), TimeSpan.FromMilliseconds(200));
        var (calls, lapses) = (sut.Protocol.CallCount, sut.Protocol.LapseCount);
        sut.Time.Run(TimeSpan.FromMinutes(30), TimeSpan.FromMilliseconds(200));
        var (newCalls, newLapses) = (sut.Protocol.CallCount - calls, sut.Protocol.LapseCount - lapses);

        // The budget (10 a second, at most 10 in any second) is spent as fast as the clock lets it: the fake clock moves
        // in 200 ms steps, so a place that frees 1 s and a tick after a request is taken 1.2 s after it (10 per 1.2 s).
        // Earliest-deadline-first alone would serve everyone late, so that nearly every request would close a lapse.
        Assert.That(newCalls, Is.GreaterThan(0.95 * 10 / 1.2 * 30 * 60));
        Assert.That(newLapses, Is.LessThan(newCalls / 5), "most requests keep an already-live session alive");
        Assert.That(sut.Protocol.ThrottledCount, Is.Zero);
    }

    private static string UserId(int i) => "user" + i.ToString(CultureInfo.InvariantCulture) + "@contoso.com";

    private static Sut CreateSut(PresenceKeepAliveOptions options) => new(options);
}
