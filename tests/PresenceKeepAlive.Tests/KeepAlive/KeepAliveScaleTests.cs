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

        // All 10,000 started within one second: the budget spreads the first sends, jitter spreads the refreshes.
        var sets = new List<Task>(10_000);
        for (var i = 0; i < 10_000; i++)
        {
            sets.Add(sut.Manager.GetOrCreate(UserId(i)).SetAsync(i % 2 == 0 ? PresenceState.Available : PresenceState.BusyInACall));
        }

        // Steps shorter than the budget's refill period (0.41 s), as a real timer would fire.
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

            // No waste: in steady state, one request per session per mean interval (240 s - 30 s / 2 = 225 s).
            var ideal = 10_000 * 15 * 60 / 225.0;
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
        // 3 per 30 s: one token per 30 s window; refreshes every 60 s without jitter.
        await using var sut = CreateSut(new PresenceKeepAliveOptions
        {
            SignOffOnDispose = false,
            RateLimitPerWindow = 3,
            RefreshInterval = TimeSpan.FromSeconds(60),
            
            SessionTimeout = TimeSpan.FromMinutes(10),
        });
        var sets = new List<Task>();
        foreach (var user in new[] { "a", "b", "d" })
        {
            sets.Add(sut.Manager.GetOrCreate(user + "@contoso.com").SetAsync(PresenceState.Available));
        }

        // Tokens arrive at 0, 30, 60, 90, ... s. a's refresh falls due at 60 s, as d's queued set is still waiting.
        sut.Time.Run(TimeSpan.FromSeconds(75), TimeSpan.FromMilliseconds(100));
        sets.Add(sut.Manager.GetOrCreate("c@contoso.com").SetAsync(PresenceState.BusyInACall));
        sut.Time.Run(TimeSpan.FromSeconds(76), TimeSpan.FromMilliseconds(100));
        await Task.WhenAll(sets).WaitAsync(TimeSpan.FromSeconds(10));

        var order = sut.Protocol.Calls.Select(x => x.UserId[..1] + ":" + (x.At - Clock.Start).TotalSeconds.ToString(CultureInfo.InvariantCulture)).ToArray();
        Assert.That(order, Is.EqualTo(new[] { "a:0", "b:30", "d:60", "c:90", "a:120", "b:150" }), "state changes go ahead of due refreshes; then the oldest deadline first");
    }

    [Test]
    public async Task Refresh_TwiceTheSessionsTheBudgetHolds_KeepsAStableSetAliveInsteadOfLettingAllLapse()
    {
        await using var sut = CreateSut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = 30 });
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

        // Earliest-deadline-first alone would serve everyone late: nearly every request would close a lapse.
        Assert.That(newCalls, Is.GreaterThan(capacity * 30 * 60 / 240));
        Assert.That(newLapses, Is.LessThan(newCalls / 5), "most requests keep an already-live session alive");
        Assert.That(sut.Protocol.ThrottledCount, Is.Zero);
    }

    private static string UserId(int i) => "user" + i.ToString(CultureInfo.InvariantCulture) + "@contoso.com";

    private static Sut CreateSut(PresenceKeepAliveOptions options) => new(options);
}
