using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Sessions.Internal;
using PresenceKeepAlive.Tests.Fakes;
using PresenceKeepAlive.Tests.KeepAlive;

namespace PresenceKeepAlive.Tests.Sessions;

/// <summary>
/// Distributed mode: <see cref="PresenceSession.Adopt"/> takes over a state another process kept alive. The session is
/// kept as if this engine had confirmed it, with its refresh due a margin before the deadline assumed from when the
/// service accepted the state and when the previous holder stopped. Time is a <see cref="FakeTimeProvider"/>; sends run
/// on the thread pool, so every move of the clock settles (through <c>Run</c>/<c>AdvanceAndSettle</c>).
/// </summary>
public class SessionAdoptionTests
{
    private const string User = "alice@contoso.com";

    /// <summary>The default refresh margin: <c>SessionTimeout / 12</c>.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(25);

    /// <summary>5 minutes less the 25 s margin: the default refresh period of an Available session.</summary>
    private static readonly TimeSpan AvailablePeriod = TimeSpan.FromSeconds(275);

    [Test]
    public async Task Adopt_NeverConfirmed_SentAtOnceAsAStateChangeAndActiveOnceAccepted()
    {
        await using var sut = CreateSut();
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = _ => hang.Task;
        var session = Engine(sut);

        session.Adopt(PresenceState.Available, acceptedAt: null, TimeSpan.FromSeconds(30));
        await sut.Protocol.WaitForCallsAsync(1);

        using (Assert.EnterMultipleScope())
        {
            // Nothing to take over: the state is sent, and counts as confirmed only when the service accepts it.
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.NotStarted), "not Active before the service accepted it");
            Assert.That(session.LastConfirmedAt, Is.Null);
            Assert.That(session.IsSending, Is.True);
            Assert.That(LogIds(sut), Does.Contain(100).And.Contain(101).And.Not.Contain(122), "logged as a session started and set, not as a takeover");
        }

        hang.SetResult();
        await WaitUntilAsync(() => session.Status == PresenceSessionStatus.Active);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sut.Protocol.Calls.Select(c => (c.Operation, c.State)), Is.EqualTo(new[] { ("setPresence", (PresenceState?)PresenceState.Available) }));
            Assert.That(sut.Protocol.Calls[0].At, Is.EqualTo(Clock.Start), "sent at once");
            Assert.That(session.LastConfirmedAt, Is.EqualTo(Clock.Start));
            Assert.That(session.NextRefreshAt, Is.EqualTo(Clock.Start + AvailablePeriod), "a new grid from the acceptance, as after any state change");
        }
    }

    [Test]
    public async Task Adopt_AvailableAcceptedFourMinutesAgo_ActiveAtOnceAndRefreshedAMarginBeforeTheAssumedDeadlineThenOnThePeriod()
    {
        await using var sut = CreateSut();
        var session = Engine(sut);
        var statuses = RecordStatuses(session);
        var now = sut.Time.GetUtcNow();
        var acceptedAt = now - TimeSpan.FromMinutes(4);
        var stoppedWithin = TimeSpan.FromSeconds(30);

        // The deadline assumed: max(acceptedAt + 5:00, now + 0:25 - 0:30) = now + 1:00; the refresh is due a margin before it.
        var deadline = Max(acceptedAt + TimeSpan.FromMinutes(5), now + Margin - stoppedWithin);
        var due = Max(now, deadline - Margin);
        Assert.That(due, Is.EqualTo(now + TimeSpan.FromSeconds(35)), "the test's own arithmetic");

        session.Adopt(PresenceState.Available, acceptedAt, stoppedWithin);
        Clock.Settle();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active), "Active at once: the state is on the service");
            Assert.That(sut.Protocol.Calls, Is.Empty, "no request to take it over");
            Assert.That(session.NextRefreshAt, Is.EqualTo(due));
            Assert.That(session.LastConfirmedAt, Is.EqualTo(acceptedAt));
            Assert.That(session.DesiredState, Is.EqualTo(PresenceState.Available));
            Assert.That(sut.Manager.KeptCount, Is.EqualTo(1), "kept, so counted against the budget");
            Assert.That(statuses, Is.EqualTo(new[] { PresenceSessionStatus.Active }));
            Assert.That(LogIds(sut), Does.Contain(122).And.Not.Contain(100), "logged as a takeover");
        }

        sut.Time.Run(due - now - TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(500));
        Assert.That(sut.Protocol.Calls, Is.Empty, "nothing before the refresh is due");

        sut.Time.AdvanceAndSettle(TimeSpan.FromMilliseconds(1));
        Assert.That(sut.Protocol.Calls.Select(c => (c.State, c.At)), Is.EqualTo(new[] { ((PresenceState?)PresenceState.Available, due) }), "the refresh, at its due time");

        sut.Time.Run(TimeSpan.FromMinutes(30));

        var sends = sut.Protocol.Accepted;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Gaps(sends), Is.All.EqualTo(AvailablePeriod), "then on the normal period");
            Assert.That(sends, Has.Count.EqualTo(1 + (int)(TimeSpan.FromMinutes(30) / AvailablePeriod)));
            Assert.That(sends.Select(s => s.State), Is.All.EqualTo(PresenceState.Available));
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(statuses, Has.None.EqualTo(PresenceSessionStatus.Lapsed));
        }
    }

    // Available: a 5-minute lifetime; Busy with a 30-minute lease lives until its lease ends.
    [TestCase(false, 240, 30, 35, TestName = "Adopt_AvailableAcceptedFourMinutesAgo_RefreshAt0m35s")]
    [TestCase(false, 60, 0, 215, TestName = "Adopt_AvailableAcceptedOneMinuteAgo_RefreshAt3m35s")]
    [TestCase(false, 280, 0, 0, TestName = "Adopt_AvailableWithinTheMarginOfItsLifetime_RefreshAtOnce")]
    [TestCase(false, 600, 5, 0, TestName = "Adopt_AvailableLifetimeOverButHolderStoppedFiveSecondsAgo_RefreshAtOnceByTheHoldersMargin")]
    [TestCase(false, 600, 24, 0, TestName = "Adopt_AvailableLifetimeOverHolderStoppedJustUnderAMarginAgo_RefreshAtOnce")]
    [TestCase(true, 60, 30, 1715, TestName = "Adopt_BusyThirtyMinuteLeaseAcceptedOneMinuteAgo_RefreshAt28m35s")]
    [TestCase(true, 1790, 0, 0, TestName = "Adopt_BusyTenSecondsBeforeItsLeaseEnds_RefreshAtOnce")]
    public async Task Adopt_AcceptedEarlier_NoRequestUntilAMarginBeforeTheAssumedDeadline(bool busy, int acceptedSecondsAgo, int stoppedWithinSeconds, int expectedDueSeconds)
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, Lease = TimeSpan.FromMinutes(30) });
        var state = busy ? PresenceState.BusyInACall : PresenceState.Available;
        var lifetime = busy ? TimeSpan.FromMinutes(30) : TimeSpan.FromMinutes(5);
        var session = Engine(sut);
        var now = sut.Time.GetUtcNow();
        var acceptedAt = now - TimeSpan.FromSeconds(acceptedSecondsAgo);
        var stoppedWithin = TimeSpan.FromSeconds(stoppedWithinSeconds);
        var deadline = Max(acceptedAt + lifetime, now + Margin - stoppedWithin);
        var due = now + TimeSpan.FromSeconds(expectedDueSeconds);
        Assert.That(Max(now, deadline - Margin), Is.EqualTo(due), "the test's own arithmetic");

        session.Adopt(state, acceptedAt, stoppedWithin);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(session.NextRefreshAt, Is.EqualTo(due));
            Assert.That(session.LastConfirmedAt, Is.EqualTo(acceptedAt));
        }

        if (due > now)
        {
            sut.Time.Run(due - now - TimeSpan.FromMilliseconds(1));
            Assert.That(sut.Protocol.Calls, Is.Empty, "nothing before the refresh is due");
            sut.Time.AdvanceAndSettle(TimeSpan.FromMilliseconds(1));
        }
        else
        {
            Clock.Settle();
        }

        Assert.That(sut.Protocol.Calls.Select(c => (c.State, c.At)), Is.EqualTo(new[] { ((PresenceState?)state, due) }), "one refresh, at its due time");
        Assert.That(due, Is.LessThan(deadline), "before the assumed deadline");

        // Then on the state's normal period, from that refresh.
        var period = lifetime - Margin;
        sut.Time.Run(period - TimeSpan.FromMilliseconds(1));
        Assert.That(sut.Protocol.Calls, Has.Count.EqualTo(1), "nothing before the next grid point");
        sut.Time.AdvanceAndSettle(TimeSpan.FromMilliseconds(1));
        Assert.That(sut.Protocol.Calls.Select(c => c.At), Is.EqualTo(new[] { due, due + period }));
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
    }

    [TestCase(25, TestName = "Adopt_LifetimeOverAndHolderStoppedAWholeMarginAgo_SentAsAStateChange")]
    [TestCase(60, TestName = "Adopt_LifetimeOverAndHolderStoppedAMinuteAgo_SentAsAStateChange")]
    public async Task Adopt_DeadlineAlreadyPassed_SentAtOnceAsAStateChange(int stoppedWithinSeconds)
    {
        await using var sut = CreateSut();
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = _ => hang.Task;
        var session = Engine(sut);

        // Accepted 10 minutes ago (an Available state ended 5 minutes ago), and the holder's last refresh, at most a margin
        // before it stopped, has run out too.
        session.Adopt(PresenceState.Available, sut.Time.GetUtcNow() - TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(stoppedWithinSeconds));
        await sut.Protocol.WaitForCallsAsync(1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sut.Protocol.Calls.Select(c => (c.State, c.At)), Is.EqualTo(new[] { ((PresenceState?)PresenceState.Available, Clock.Start) }), "sent at once");
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.NotStarted), "not taken over as Active: it is no longer on the service");
            Assert.That(session.LastConfirmedAt, Is.Null, "nothing confirmed");
            Assert.That(LogIds(sut), Does.Contain(100).And.Not.Contain(122), "a state change, not a takeover");
        }

        hang.SetResult();
        await WaitUntilAsync(() => session.Status == PresenceSessionStatus.Active);
        Assert.That(session.NextRefreshAt, Is.EqualTo(Clock.Start + AvailablePeriod));
    }

    [Test]
    public async Task Adopt_SameStateAlreadyKeptHere_SendsNothingAndChangesNothing()
    {
        await using var sut = CreateSut();
        var session = Engine(sut);
        await session.SetAsync(PresenceState.Available);
        sut.Time.Run(TimeSpan.FromMinutes(1));
        var before = (session.Version, session.NextRefreshAt, session.LastConfirmedAt, session.Status);
        var statuses = RecordStatuses(session);

        // Another process's record says it accepted Available 4 minutes ago: ours (accepted a minute ago) is newer.
        session.Adopt(PresenceState.Available, sut.Time.GetUtcNow() - TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(30));
        Clock.Settle();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sut.Protocol.Calls, Has.Count.EqualTo(1), "only the caller's set");
            Assert.That((session.Version, session.NextRefreshAt, session.LastConfirmedAt, session.Status), Is.EqualTo(before));
            Assert.That(statuses, Is.Empty);
            Assert.That(sut.Manager.KeptCount, Is.EqualTo(1), "counted once");
        }

        // The refresh stays on the session's own grid (4:35 after its set), not the adopted deadline's (0:35 from now).
        sut.Time.Run(AvailablePeriod - TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.That(sut.Protocol.Calls.Select(c => c.At), Is.EqualTo(new[] { Clock.Start, Clock.Start + AvailablePeriod }));
    }

    [Test]
    public async Task Adopt_DifferentStateKeptHere_SentAsASet()
    {
        await using var sut = CreateSut();
        var session = Engine(sut);
        await session.SetAsync(PresenceState.Available);
        sut.Time.Run(TimeSpan.FromMinutes(1));
        var version = session.Version;

        session.Adopt(PresenceState.BusyInACall, sut.Time.GetUtcNow() - TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(5));
        Clock.Settle();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sut.Protocol.Calls.Select(c => (c.State, c.At)), Is.EqualTo(new[]
            {
                ((PresenceState?)PresenceState.Available, Clock.Start),
                (PresenceState.BusyInACall, Clock.Start + TimeSpan.FromMinutes(1)),
            }), "the new state is sent at once");
            Assert.That(session.Version, Is.EqualTo(version + 1), "a new desire");
            Assert.That(session.DesiredState, Is.EqualTo(PresenceState.BusyInACall));
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(session.LastConfirmedAt, Is.EqualTo(Clock.Start + TimeSpan.FromMinutes(1)), "confirmed by this engine's send, not the adopted time");
            Assert.That(sut.Manager.KeptCount, Is.EqualTo(1));
            Assert.That(LogIds(sut).Count(id => id == 101), Is.EqualTo(2), "logged as a second set");
            Assert.That(LogIds(sut), Does.Not.Contain(122));
        }
    }

    [TestCase("session")]
    [TestCase("release")]
    [TestCase("manager")]
    public async Task Adopt_DisposedSession_ThrowsObjectDisposedExceptionAndSendsNothing(string disposedBy)
    {
        var sut = CreateSut();
        var session = Engine(sut);
        switch (disposedBy)
        {
            case "session":
                await session.DisposeAsync();
                break;
            case "release":
                session.Release();
                break;
            default:
                await sut.Manager.DisposeAsync();
                break;
        }

        Assert.That(() => session.Adopt(PresenceState.Available, sut.Time.GetUtcNow() - TimeSpan.FromMinutes(1), TimeSpan.Zero), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => session.Adopt(PresenceState.Available, null, TimeSpan.Zero), Throws.InstanceOf<ObjectDisposedException>());
        sut.Time.Run(TimeSpan.FromMinutes(10));

        Assert.That(sut.Protocol.Calls, Is.Empty);
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Disposed));
        await sut.DisposeAsync();
    }

    [Test]
    public async Task Adopt_NullState_ThrowsArgumentNullException()
    {
        await using var sut = CreateSut();

        Assert.That(() => Engine(sut).Adopt(null!, null, TimeSpan.Zero), Throws.ArgumentNullException);
    }

    [Test]
    public async Task Adopt_TwoHundredSessionsWithOneDeadline_RefreshesPacedByTheGateAndAllBeforeTheDeadline()
    {
        // 50 per 10 s (paced at 5 a second): 200 refreshes need 40 s; a 60-second margin leaves room for them all.
        await using var sut = new Sut(new PresenceKeepAliveOptions
        {
            SignOffOnDispose = false,
            RateLimitPerWindow = 50,
            RateLimitWindow = TimeSpan.FromSeconds(10),
            RefreshMargin = TimeSpan.FromSeconds(60),
        });
        var now = sut.Time.GetUtcNow();
        var acceptedAt = now - TimeSpan.FromMinutes(3);
        var deadline = acceptedAt + TimeSpan.FromMinutes(5);
        var due = deadline - TimeSpan.FromSeconds(60);
        var sessions = Enumerable.Range(0, 200).Select(i => Engine(sut, UserId(i))).ToList();

        foreach (var session in sessions)
        {
            session.Adopt(PresenceState.Available, acceptedAt, TimeSpan.Zero);
        }

        Clock.Settle();
        Assert.That(sessions.Select(s => s.Status), Is.All.EqualTo(PresenceSessionStatus.Active));
        Assert.That(sessions.Select(s => s.NextRefreshAt), Is.All.EqualTo(due));

        sut.Time.Run(TimeSpan.FromMinutes(3) - TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));

        var refreshes = sut.Protocol.Calls.Where(c => c.At < deadline + TimeSpan.FromMinutes(1)).ToList();
        var ticks = refreshes.Select(c => c.At.UtcTicks).ToList();
        TestContext.Out.WriteLine($"first {refreshes.Min(c => c.At) - now}, last {refreshes.Max(c => c.At) - now}, fullest 10 s {MaxInClosedWindow(ticks, TimeSpan.FromSeconds(10))}, fullest 1 s {MaxInClosedWindow(ticks, TimeSpan.FromSeconds(1))}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(refreshes.Select(c => c.UserId).Distinct().Count(), Is.EqualTo(200), "every session refreshed once");
            Assert.That(refreshes, Has.Count.EqualTo(200));
            Assert.That(refreshes.Min(c => c.At), Is.EqualTo(due), "none before its due time");
            Assert.That(refreshes.Max(c => c.At), Is.LessThan(deadline), "all before the assumed deadline");
            Assert.That(MaxInClosedWindow(ticks, TimeSpan.FromSeconds(10)), Is.EqualTo(50), "the gate's limit in any closed window, and reached: they were paced by it");
            Assert.That(MaxInClosedWindow(ticks, TimeSpan.FromSeconds(1)), Is.LessThanOrEqualTo(5), "the gate's per-second pacing");
            Assert.That(refreshes.Max(c => c.At) - refreshes.Min(c => c.At), Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(30)), "spread, not a burst");
            Assert.That(sessions.Select(s => s.Status), Is.All.EqualTo(PresenceSessionStatus.Active));
            Assert.That(LogIds(sut), Does.Not.Contain(121).And.Not.Contain(111), "no session lapsed waiting or refreshed late");
        }
    }

    [Test]
    public async Task Adopt_SessionsDueTogetherWithDifferentDeadlines_RefreshedInDeadlineOrderNotAdoptionOrder()
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = 50, RateLimitWindow = TimeSpan.FromSeconds(10) });
        var gate = sut.Manager.Scheduler.Budget;
        var now = sut.Time.GetUtcNow();

        // Rank r's Available state ends r + 1 seconds from now: all are due at once (less than a margin left). At 5 a
        // second, rank r goes in second r / 5, before its deadline.
        var byDeadline = Enumerable.Range(0, 20).Select(r => (User: UserId(r), Deadline: now + TimeSpan.FromSeconds(r + 1))).ToList();
        var random = new Random(7);
        var adoptionOrder = byDeadline.OrderBy(_ => random.Next()).ToList();
        Assert.That(adoptionOrder.Select(a => a.User), Is.Not.EqualTo(byDeadline.Select(a => a.User)), "the test's own shuffle");

        // Held at no budget while they are adopted, so that none goes before the others have been queued.
        gate.SetLimit(0);
        foreach (var (user, deadline) in adoptionOrder)
        {
            Engine(sut, user).Adopt(PresenceState.Available, deadline - TimeSpan.FromMinutes(5), TimeSpan.FromHours(1));
        }

        Clock.Settle();
        Assert.That(sut.Protocol.Calls, Is.Empty);
        gate.SetLimit(50);
        sut.Manager.Scheduler.Pump();
        sut.Time.Run(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));

        var calls = sut.Protocol.Calls;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(calls.Select(c => c.UserId), Is.EqualTo(byDeadline.Select(a => a.User)), "deadline order");
            Assert.That(calls.Zip(byDeadline, (c, b) => c.At < b.Deadline), Is.All.True, "each before its deadline");
            Assert.That(MaxInClosedWindow(calls.Select(c => c.At.UtcTicks), TimeSpan.FromSeconds(1)), Is.LessThanOrEqualTo(5));
        }
    }

    [Test]
    public async Task ClearAsync_AfterAdopt_SendsAClearAndNothingAfter()
    {
        await using var sut = CreateSut();
        var session = Engine(sut);
        session.Adopt(PresenceState.BusyInACall, sut.Time.GetUtcNow() - TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30));

        // The adopted state is on the service (another process sent it): signing off must clear it.
        await session.ClearAsync().WaitAsync(TimeSpan.FromSeconds(10));
        sut.Time.Run(TimeSpan.FromMinutes(30));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sut.Protocol.Calls.Select(c => c.Operation + ":" + c.UserId), Is.EqualTo(new[] { "clearPresence:" + User }));
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Cleared));
            Assert.That(session.DesiredState, Is.Null);
            Assert.That(sut.Manager.KeptCount, Is.Zero);
        }
    }

    [Test]
    public async Task DisposeAsync_SignOffOnDisposeAfterAdopt_SendsAClearForTheAdoptedSession()
    {
        var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = true });
        Engine(sut).Adopt(PresenceState.Available, sut.Time.GetUtcNow() - TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30));
        Engine(sut, "untouched@contoso.com");

        await sut.DisposeAsync();

        Assert.That(sut.Protocol.Calls.Select(c => c.Operation + ":" + c.UserId), Is.EqualTo(new[] { "clearPresence:" + User }), "the adopted session counts as sent; the untouched one sent nothing");
    }

    private static Sut CreateSut() => new(new PresenceKeepAliveOptions { SignOffOnDispose = false });

    private static PresenceSession Engine(Sut sut, string user = User) => (PresenceSession)sut.Manager.GetOrCreate(user);

    private static string UserId(int i) => "user" + i.ToString(CultureInfo.InvariantCulture) + "@contoso.com";

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static List<int> LogIds(Sut sut) => sut.Logger.Collector.GetSnapshot().Select(r => r.Id.Id).ToList();

    private static List<TimeSpan> Gaps(IReadOnlyList<RecordedCall> sends) =>
        sends.Zip(sends.Skip(1), (a, b) => b.At - a.At).ToList();

    private static List<PresenceSessionStatus> RecordStatuses(IPresenceSession session)
    {
        var statuses = new List<PresenceSessionStatus>();
        session.StatusChanged += (_, e) =>
        {
            lock (statuses)
            {
                statuses.Add(e.Status);
            }
        };
        return statuses;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        await Task.Run(() => SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(10)));
        Assert.That(condition(), Is.True, "condition not reached within 10 s");
    }

    private static int MaxInClosedWindow(IEnumerable<long> ticks, TimeSpan window) => ClosedWindows.Max(ticks, window);
}
