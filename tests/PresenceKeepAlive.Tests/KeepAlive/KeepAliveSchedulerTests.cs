using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Tests.Fakes;

namespace PresenceKeepAlive.Tests.KeepAlive;

public class KeepAliveSchedulerTests
{
    [Test]
    public async Task Pump_ScarceBudget_RunsStateChangesThenRefreshesThenRetriesOldestDeadlineFirstMissedLast()
    {
        var time = Clock.Create();
        var metrics = new PresenceKeepAliveMetrics(null);
        using var waits = new MetricCollector<long>(metrics.Meter, "presencekeepalive.rate_budget.waits");

        // Fewer than 3 per window: one token per 10 s window.
        await using var sut = CreateSut(time, metrics, new RequestGate(1, TimeSpan.FromSeconds(10), new KeepAliveClock(time)));
        var order = new List<string>();
        var now = time.GetUtcNow().UtcTicks;
        var items = new (string Name, WorkPriority Priority, long Deadline)[]
        {
            ("retry-missed-new", WorkPriority.Retry, now - H(1)),
            ("retry-missed-old", WorkPriority.Retry, now - H(2)),
            ("refresh-late", WorkPriority.Refresh, now + H(2)),
            ("refresh-missed", WorkPriority.Refresh, now - H(5)),
            ("set-new", WorkPriority.StateChange, now + H(1)),
            ("refresh-early", WorkPriority.Refresh, now + H(1)),
            ("set-old", WorkPriority.StateChange, now - H(1)),
            ("retry-new", WorkPriority.Retry, now + H(3)),
        };
        foreach (var (name, priority, deadline) in items)
        {
            Assert.That(sut.Schedule(new Work(name, order), 0, priority, now, deadline), Is.True);
        }

        sut.Pump();
        time.Run(TimeSpan.FromSeconds(90));

        // State changes first (oldest first); then refreshes and retries together: those that can still make their
        // deadline by deadline, then those that missed it, oldest deadline first.
        Assert.That(order, Is.EqualTo(new[] { "set-old", "set-new", "refresh-early", "refresh-late", "retry-new", "refresh-missed", "retry-missed-old", "retry-missed-new" }));
        Assert.That(waits.GetMeasurementSnapshot().EvaluateAsCounter(), Is.EqualTo(7), "all but the first waited for the budget");
    }

    [Test]
    public async Task Pump_RefreshAboutToMissItsDeadline_GoesBeforeWaitingStateChangesOthersAfterThem()
    {
        // A mass start of state changes must not lapse the sessions already kept: a refresh with less than a tenth of the
        // margin (2.5 s of 25 s) left before its deadline goes first; one with time to spare waits behind the state changes.
        var time = Clock.Create();
        await using var sut = CreateSut(time, new PresenceKeepAliveMetrics(null), new RequestGate(1, TimeSpan.FromSeconds(10), new KeepAliveClock(time)));
        var order = new List<string>();
        var now = time.GetUtcNow().UtcTicks;
        sut.Schedule(new Work("set-1", order), 0, WorkPriority.StateChange, now, now);
        sut.Schedule(new Work("set-2", order), 0, WorkPriority.StateChange, now, now);
        sut.Schedule(new Work("refresh-spare", order), 0, WorkPriority.Refresh, now, now + TimeSpan.FromHours(1).Ticks);
        sut.Schedule(new Work("refresh-urgent", order), 0, WorkPriority.Refresh, now, now + TimeSpan.FromSeconds(2).Ticks);

        sut.Pump();
        time.Run(TimeSpan.FromSeconds(45));

        Assert.That(order, Is.EqualTo(new[] { "refresh-urgent", "set-1", "set-2", "refresh-spare" }));
    }

    [Test]
    public async Task Pump_LongLivedRefreshDue_GoesBeforeAvailableRefreshesThatCanWaitNotBeforeOneAboutToMiss()
    {
        // A long-lived state's refresh (Busy, 30-minute lease) is ordered by its deadline less 25 minutes, so once due it
        // goes before Available refreshes that can still wait; an Available refresh about to miss (a tenth of the margin
        // left) still goes first. By deadline alone the Busy refresh would wait for its own deadline, 20 minutes away.
        var time = Clock.Create();
        await using var sut = CreateSut(time, new PresenceKeepAliveMetrics(null), new RequestGate(1, TimeSpan.FromSeconds(10), new KeepAliveClock(time)));
        var order = new List<string>();
        var now = time.GetUtcNow().UtcTicks;
        // Busy accepted ten minutes ago, due now: its deadline is 20 minutes away, its order 5 minutes ago.
        var busyDeadline = now + TimeSpan.FromMinutes(20).Ticks;
        sut.Schedule(new Work("available-spare", order), 0, WorkPriority.Refresh, now, now + TimeSpan.FromSeconds(25).Ticks);
        sut.Schedule(new Work("busy", order), 0, WorkPriority.Refresh, now, busyDeadline, busyDeadline - TimeSpan.FromMinutes(25).Ticks);
        sut.Schedule(new Work("available-urgent", order), 0, WorkPriority.Refresh, now, now + TimeSpan.FromSeconds(2).Ticks);

        sut.Pump();
        time.Run(TimeSpan.FromSeconds(35));

        Assert.That(order, Is.EqualTo(new[] { "available-urgent", "busy", "available-spare" }));
    }

    [Test]
    public async Task Schedule_StaleToken_ItemIsDroppedWithoutSpendingBudget()
    {
        var time = Clock.Create();
        await using var sut = CreateSut(time, new PresenceKeepAliveMetrics(null), new RequestGate(1, TimeSpan.FromSeconds(10), new KeepAliveClock(time)));
        var order = new List<string>();
        var stale = new Work("stale", order) { ScheduleToken = 2 };
        sut.Schedule(stale, 1, WorkPriority.StateChange, time.GetUtcNow().UtcTicks, 0);
        sut.Schedule(new Work("live", order), 0, WorkPriority.Refresh, time.GetUtcNow().UtcTicks, 0);

        sut.Pump();
        Clock.Settle();

        Assert.That(order, Is.EqualTo(new[] { "live" }));
        Assert.That(sut.QueuedCount, Is.Zero);
    }

    [Test]
    public async Task Schedule_ManyFutureItems_FireAtTheirDueTimesOnOneTimer()
    {
        var time = Clock.Create();
        await using var sut = CreateSut(time, new PresenceKeepAliveMetrics(null), new RequestGate(1_000_000, TimeSpan.FromSeconds(1), new KeepAliveClock(time)));
        var fired = new List<(string, DateTimeOffset)>();
        var start = time.GetUtcNow();
        for (var i = 10; i >= 1; i--)
        {
            var name = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            sut.Schedule(new Work(name, null, () => fired.Add((name, time.GetUtcNow()))), 0, WorkPriority.Refresh, (start + TimeSpan.FromSeconds(i)).UtcTicks, 0);
        }

        sut.Pump();
        time.Run(TimeSpan.FromSeconds(11));

        Assert.That(fired.Select(f => f.Item2 - start), Is.EqualTo(Enumerable.Range(1, 10).Select(i => TimeSpan.FromSeconds(i))));
    }

    [Test]
    public async Task SetAsync_ManyChangesOfOneSession_StaleRefreshesDoNotPileUp()
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = 1_000_000 });
        var session = sut.Manager.GetOrCreate("alice@contoso.com");

        for (var i = 0; i < 10_000; i++)
        {
            await session.SetAsync(i % 2 == 0 ? PresenceState.Available : PresenceState.Away);
        }

        Assert.That(sut.Manager.Scheduler.QueuedCount, Is.LessThanOrEqualTo(1024));
        Assert.That(sut.Protocol.CallCount, Is.EqualTo(10_000));
    }

    private static long H(int hours) => TimeSpan.FromHours(hours).Ticks;

    private static KeepAliveScheduler CreateSut(TimeProvider time, PresenceKeepAliveMetrics metrics, RequestGate budget) =>
        new(budget, new KeepAliveSettings(new PresenceKeepAliveOptions()), metrics, NullLogger.Instance);

    private sealed class Work(string name, List<string>? order, Action? onRun = null) : IScheduledWork
    {
        public long ScheduleToken { get; init; }

        public List<long> MissedDeadlines { get; } = [];

        public Task RunAsync(long token, WorkPriority priority, PresenceKeepAlive.Http.Internal.SendTicket ticket, CancellationToken cancellationToken)
        {
            ticket.TryEnterAttempt();
            lock (this)
            {
                order?.Add(name);
            }

            onRun?.Invoke();
            return Task.CompletedTask;
        }

        public void OnDeadlinePassed(long token) => MissedDeadlines.Add(token);
    }
}
