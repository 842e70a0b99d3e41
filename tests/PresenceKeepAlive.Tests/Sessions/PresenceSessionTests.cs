using System.Net;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PresenceKeepAlive.Tests.Fakes;

namespace PresenceKeepAlive.Tests.Sessions;

public class PresenceSessionTests
{
    private const string User = "alice@contoso.com";

    /// <summary>5 minutes less the 25 s margin: the default refresh period of an Available session.</summary>
    private static readonly TimeSpan AvailablePeriod = TimeSpan.FromSeconds(275);

    [Test]
    public async Task SetAsync_AvailableOverOneDay_RefreshesEveryTimeoutLessTheMarginExactly()
    {
        await using var sut = CreateSut();
        await sut.Manager.GetOrCreate(User).SetAsync(PresenceState.Available);

        sut.Time.Run(TimeSpan.FromHours(24));

        var sends = sut.Protocol.Accepted;
        Assert.That(sends, Has.Count.EqualTo(1 + (int)(TimeSpan.FromHours(24) / AvailablePeriod)), "one set, then one refresh every 4:35, the fewest the 5-minute timeout allows with a 25 s margin");
        Assert.That(Gaps(sends), Is.All.EqualTo(AvailablePeriod));
        Assert.That(sut.Protocol.LapseCount, Is.Zero);
    }

    [Test]
    public async Task SetAsync_BusyWithAThirtyMinuteLease_RefreshesOnlyBeforeTheLeaseEnds()
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, Lease = TimeSpan.FromMinutes(30) });
        await sut.Manager.GetOrCreate(User).SetAsync(PresenceState.BusyInACall);

        sut.Time.Run(TimeSpan.FromHours(2));

        // Graph times out only Available sessions; Busy lasts until its lease (expirationDuration) ends. The first refresh
        // of such a long-lived state comes at a phase of its own (a tenth of the period to a whole one after the state
        // change, so that sessions set together do not all come back together); every later one a period apart.
        var period = TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(25);
        var gaps = Gaps(sut.Protocol.Accepted);
        Assert.That(gaps[0], Is.InRange(period / 10, period));
        Assert.That(gaps.Skip(1), Is.All.EqualTo(period));
        Assert.That(gaps.Skip(1).Count(), Is.GreaterThanOrEqualTo(3));
    }

    [TestCase(false, PresenceProtocol.SetPresence)]
    [TestCase(true, PresenceProtocol.SetPresence)]
    [TestCase(false, PresenceProtocol.Patch)]
    public async Task SetAsync_BusyWhereEveryStateTimesOut_RefreshesWithinTheSessionTimeout(bool allStatesTimeOut, PresenceProtocol protocol)
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions
        {
            SignOffOnDispose = false,
            Lease = TimeSpan.FromMinutes(30),
            AllStatesTimeOut = allStatesTimeOut,
            Protocol = protocol,
        });
        await sut.Manager.GetOrCreate(User).SetAsync(PresenceState.BusyInACall);

        sut.Time.Run(TimeSpan.FromHours(1));

        // The conservative switch, and the seed's PATCH (no lease: every state fades), refresh Busy like Available.
        var timesOut = allStatesTimeOut || protocol == PresenceProtocol.Patch;
        var expected = timesOut ? AvailablePeriod : TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(25);
        var gaps = Gaps(sut.Protocol.Accepted);
        Assert.That(timesOut ? gaps : gaps.Skip(1), Is.All.EqualTo(expected), "a long lease's first refresh comes at a phase of its own");
        Assert.That(gaps.Max(), Is.LessThanOrEqualTo(expected));
    }

    [Test]
    public async Task SetAsync_RefreshIntervalSet_RefreshesAtThatIntervalExactly()
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RefreshInterval = TimeSpan.FromSeconds(20) });
        await sut.Manager.GetOrCreate(User).SetAsync(PresenceState.Available);

        sut.Time.Run(TimeSpan.FromMinutes(10));

        Assert.That(Gaps(sut.Protocol.Accepted), Is.All.EqualTo(TimeSpan.FromSeconds(20)));
        Assert.That(sut.Protocol.Accepted, Has.Count.EqualTo(1 + 30));
    }

    [Test]
    public async Task Refresh_AcceptedLate_KeepsItsGridSoTheNextGapIsShorterAndNoLaterGapGrows()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);
        await session.SetAsync(PresenceState.Available);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = _ => release.Task;

        // The first refresh (due at 4:35) takes 10 s to be accepted.
        sut.Time.Run(AvailablePeriod);
        await sut.Protocol.WaitForCallsAsync(2);
        sut.Time.Run(TimeSpan.FromSeconds(10));
        sut.Protocol.Handler = null;
        release.SetResult();
        await WaitUntilAsync(() => !((PresenceKeepAlive.Sessions.Internal.PresenceSession)session).IsSending);
        sut.Time.Run(AvailablePeriod * 3);

        var gaps = Gaps(sut.Protocol.Accepted);
        Assert.That(gaps, Is.EqualTo(new[] { AvailablePeriod + TimeSpan.FromSeconds(10), AvailablePeriod - TimeSpan.FromSeconds(10), AvailablePeriod, AvailablePeriod }));
    }

    [Test]
    public async Task SetAsync_SessionsStartedApart_KeepTheirOwnPhases()
    {
        await using var sut = CreateSut();
        await sut.Manager.GetOrCreate("a@contoso.com").SetAsync(PresenceState.Available);
        sut.Time.Run(TimeSpan.FromSeconds(100));
        await sut.Manager.GetOrCreate("b@contoso.com").SetAsync(PresenceState.Available);

        sut.Time.Run(TimeSpan.FromHours(1));

        // Each refreshes on its own grid from its own state change: they never bunch up.
        var a = sut.Protocol.CallsFor("a@contoso.com").Select(c => (c.At - Clock.Start).Ticks % AvailablePeriod.Ticks).Distinct();
        var b = sut.Protocol.CallsFor("b@contoso.com").Select(c => (c.At - Clock.Start - TimeSpan.FromSeconds(100)).Ticks % AvailablePeriod.Ticks).Distinct();
        Assert.That(a, Is.EqualTo(new[] { 0L }));
        Assert.That(b, Is.EqualTo(new[] { 0L }));
    }

    [Test]
    public async Task Refresh_WallClockStepsBackAnHour_KeepsRefreshingEveryIntervalWithoutLapse()
    {
        SteppingTimeProvider? wallClock = null;
        await using var sut = new Sut(
            new PresenceKeepAliveOptions { SignOffOnDispose = false },
            managerTime: fake => wallClock = new SteppingTimeProvider(fake));
        var session = sut.Manager.GetOrCreate(User);
        var statuses = RecordStatuses(session);
        await session.SetAsync(PresenceState.Available);
        sut.Time.Run(TimeSpan.FromMinutes(10));

        // NTP or a VM host steps the wall clock back; the monotonic timestamp (and the timer) keep going.
        wallClock!.StepWallClock(TimeSpan.FromHours(-1));
        sut.Time.Run(TimeSpan.FromMinutes(61));

        // The fake service records the true time: 71 minutes with a refresh every 4:35.
        var sends = sut.Protocol.Accepted;
        Assert.Multiple(() =>
        {
            Assert.That(sends, Has.Count.EqualTo(1 + (int)(TimeSpan.FromMinutes(71) / AvailablePeriod)));
            Assert.That(Gaps(sends), Is.All.EqualTo(AvailablePeriod));
            Assert.That(sut.Protocol.LapseCount, Is.Zero);
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(statuses, Is.EqualTo(new[] { PresenceSessionStatus.Active }));
            Assert.That(sut.Logger.Collector.GetSnapshot().Where(r => r.Id.Id is 104 or 111), Is.Empty, "no lapse, no late refresh");
        });
    }

    [Test]
    public async Task SetAsync_DuringInFlightRefresh_NewerStateLandsLast()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);
        await session.SetAsync(PresenceState.Available);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = _ => release.Task;

        sut.Time.Run(AvailablePeriod);
        await sut.Protocol.WaitForCallsAsync(2);
        var set = session.SetAsync(PresenceState.BusyInACall);
        Assert.That(sut.Protocol.Calls, Has.Count.EqualTo(2), "at most one request per session in flight");

        sut.Protocol.Handler = null;
        release.SetResult();
        await set.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(sut.Protocol.Accepted.Select(c => c.State), Is.EqualTo(new[] { PresenceState.Available, PresenceState.Available, PresenceState.BusyInACall }));
        Assert.That(sut.Protocol.CurrentState(User), Is.EqualTo(PresenceState.BusyInACall));
    }

    [Test]
    public async Task SetAsync_ManyCallersWhileSending_SendsOnlyTheLastAndCompletesAll()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = _ => release.Task;
        var first = session.SetAsync(PresenceState.Available);
        await sut.Protocol.WaitForCallsAsync(1);

        var states = new[] { PresenceState.Away, PresenceState.BusyInACall, PresenceState.BusyInAConferenceCall, PresenceState.DoNotDisturbPresenting };
        var calls = Enumerable.Range(0, 40).Select(i => session.SetAsync(states[i % states.Length])).ToArray();
        sut.Protocol.Handler = null;
        release.SetResult();
        await Task.WhenAll(calls.Append(first)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(sut.Protocol.Calls.Select(c => c.State), Is.EqualTo(new[] { PresenceState.Available, states[39 % states.Length] }), "superseded states are never sent");
        Assert.That(sut.Protocol.CurrentState(User), Is.EqualTo(states[39 % states.Length]));
    }

    [Test]
    public async Task SetAsync_ConcurrentCallersOnManyThreads_ServiceEndsWithTheLastRecordedState()
    {
        // A budget large enough that no send waits for (fake) time to pass.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = 1_000_000 });
        var session = sut.Manager.GetOrCreate(User);
        var states = PresenceState.ValuesFor(PresenceProtocol.SetPresence);

        // A service that completes asynchronously, so sends and calls really overlap.
        sut.Protocol.Handler = _ => Task.Run(() => { });
        var calls = Enumerable.Range(0, 200).Select(i => Task.Run(() => session.SetAsync(states[i % states.Count]))).ToArray();
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(sut.Protocol.CurrentState(User), Is.SameAs(session.DesiredState));
        Assert.That(sut.Protocol.Accepted, Has.Count.LessThanOrEqualTo(200));
    }

    [Test]
    public async Task SetAsync_CallerCancels_StateIsStillSent()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = c => c.State == PresenceState.Available ? release.Task : Task.CompletedTask;
        var first = session.SetAsync(PresenceState.Available);
        await sut.Protocol.WaitForCallsAsync(1);
        using var cts = new CancellationTokenSource();

        var busy = session.SetAsync(PresenceState.BusyInACall, cts.Token);
        await cts.CancelAsync();
        Assert.That(async () => await busy, Throws.InstanceOf<OperationCanceledException>());

        release.SetResult();
        await first.WaitAsync(TimeSpan.FromSeconds(10));
        await sut.Protocol.WaitForCallsAsync(2);
        Assert.That(sut.Protocol.CurrentState(User), Is.EqualTo(PresenceState.BusyInACall));
        Assert.That(session.DesiredState, Is.EqualTo(PresenceState.BusyInACall));
    }

    [Test]
    public async Task DisposeAsync_DuringSend_SignsOffAfterTheSendAndNeverRefreshes()
    {
        await using var sut = CreateSut(signOffOnDispose: true);
        var session = sut.Manager.GetOrCreate(User);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = c => c.Operation == "setPresence" ? release.Task : Task.CompletedTask;
        var set = session.SetAsync(PresenceState.BusyInACall);
        await sut.Protocol.WaitForCallsAsync(1);

        var dispose = session.DisposeAsync().AsTask();
        Assert.That(sut.Protocol.Calls, Has.Count.EqualTo(1), "the sign-off waits for the send in flight");
        release.SetResult();
        await Task.WhenAll(set, dispose).WaitAsync(TimeSpan.FromSeconds(10));
        sut.Time.Run(TimeSpan.FromHours(1));

        Assert.That(sut.Protocol.Calls.Select(c => c.Operation), Is.EqualTo(new[] { "setPresence", "clearPresence" }));
        Assert.That(sut.Protocol.CurrentState(User), Is.Null);
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Disposed));
        Assert.That(sut.Manager.TryGet(User, out _), Is.False);
        Assert.That(() => session.SetAsync(PresenceState.Available), Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public async Task SetAsync_WhileDisposeSignsOff_IsRefusedSoNothingLandsAfterTheSignOff()
    {
        await using var sut = CreateSut(signOffOnDispose: true);
        var session = sut.Manager.GetOrCreate(User);
        await session.SetAsync(PresenceState.BusyInACall);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = c => c.Operation == "clearPresence" ? release.Task : Task.CompletedTask;

        var dispose = session.DisposeAsync().AsTask();
        await sut.Protocol.WaitForCallsAsync(2);
        // Thrown synchronously; a task that waited for the send would deadlock this test (the sign-off is held).
        Assert.That(() => { _ = session.SetAsync(PresenceState.Available); }, Throws.InstanceOf<ObjectDisposedException>());
        release.SetResult();
        await dispose.WaitAsync(TimeSpan.FromSeconds(10));
        sut.Time.Run(TimeSpan.FromHours(1));

        Assert.That(sut.Protocol.Calls.Select(c => c.Operation), Is.EqualTo(new[] { "setPresence", "clearPresence" }));
        Assert.That(sut.Protocol.CurrentState(User), Is.Null, "the user is left signed off, not Available without keep-alive");
    }

    [Test]
    public async Task DisposeAsync_CalledTwiceWhileSigningOff_SecondWaitsForTheFirst()
    {
        await using var sut = CreateSut(signOffOnDispose: true);
        var session = sut.Manager.GetOrCreate(User);
        await session.SetAsync(PresenceState.BusyInACall);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = c => c.Operation == "clearPresence" ? release.Task : Task.CompletedTask;

        var first = session.DisposeAsync().AsTask();
        await sut.Protocol.WaitForCallsAsync(2);
        var second = session.DisposeAsync().AsTask();
        Assert.That(second.IsCompleted, Is.False, "the second caller must not assume the session is gone yet");
        release.SetResult();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Disposed));
        Assert.That(sut.Protocol.Calls.Count(c => c.Operation == "clearPresence"), Is.EqualTo(1));
    }

    [Test]
    public async Task DisposeAsync_WithoutSignOff_StopsRefreshing()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);
        await session.SetAsync(PresenceState.Away);

        await session.DisposeAsync();
        sut.Time.Run(TimeSpan.FromHours(1));

        Assert.That(sut.Protocol.Calls, Has.Count.EqualTo(1));
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Disposed));
    }

    [Test]
    public async Task Refresh_TransientStreakShorterThanTimeout_RetriesThenActiveAgain()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);
        var statuses = RecordStatuses(session);
        await session.SetAsync(PresenceState.Available);
        sut.Protocol.Handler = _ => Task.FromException(FakePresenceProtocol.Transient());

        sut.Time.Run(AvailablePeriod + TimeSpan.FromSeconds(10));
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Retrying));
        Assert.That(session.LastError?.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        sut.Protocol.Handler = null;
        sut.Time.Run(TimeSpan.FromSeconds(40));

        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
        Assert.That(statuses, Is.EqualTo(new[] { PresenceSessionStatus.Active, PresenceSessionStatus.Retrying, PresenceSessionStatus.Active }));
        Assert.That(session.LastError, Is.Null);
        Assert.That(sut.Protocol.LapseCount, Is.Zero);
    }

    [Test]
    public async Task Refresh_TransientStreakLongerThanTimeout_LapsesThenReappliesLastDesiredState()
    {
        await using var sut = CreateSut();
        using var lapses = new MetricCollector<long>(sut.Metrics.Meter, "presencekeepalive.sessions.lapses");
        var session = sut.Manager.GetOrCreate(User);
        var statuses = RecordStatuses(session);
        var managerEvents = new List<PresenceSessionStatusChangedEventArgs>();
        sut.Manager.StatusChanged += (_, e) => managerEvents.Add(e);
        await session.SetAsync(PresenceState.Available);
        sut.Protocol.Handler = _ => Task.FromException(FakePresenceProtocol.Transient(HttpStatusCode.GatewayTimeout));

        sut.Time.Run(TimeSpan.FromMinutes(6));
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Lapsed));

        // The app changes its mind during the outage: the call fails, the desire stays.
        Assert.That(async () => await session.SetAsync(PresenceState.BusyInACall), Throws.TypeOf<PresenceRequestException>().With.Property(nameof(PresenceRequestException.IsTransient)).True);
        sut.Time.Run(TimeSpan.FromMinutes(5));
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Lapsed));

        sut.Protocol.Handler = null;
        sut.Time.Run(TimeSpan.FromSeconds(31));

        Assert.Multiple(() =>
        {
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(statuses, Is.EqualTo(new[] { PresenceSessionStatus.Active, PresenceSessionStatus.Retrying, PresenceSessionStatus.Lapsed, PresenceSessionStatus.Active }));
            Assert.That(managerEvents.Select(e => e.Status), Is.EqualTo(statuses));
            Assert.That(managerEvents[2].Error?.StatusCode, Is.EqualTo(HttpStatusCode.GatewayTimeout));
            Assert.That(sut.Protocol.Accepted[^1].State, Is.EqualTo(PresenceState.BusyInACall));
            Assert.That(sut.Protocol.CurrentState(User), Is.EqualTo(PresenceState.BusyInACall));
            Assert.That(lapses.GetMeasurementSnapshot().EvaluateAsCounter(), Is.EqualTo(1));
            Assert.That(sut.Logger.Collector.GetSnapshot().Where(r => r.Id.Id == 104 && r.Level == Microsoft.Extensions.Logging.LogLevel.Error), Has.Exactly(1).Items);
        });
    }

    [Test]
    public async Task SetAsync_PermanentFailure_FailsThatSessionOnly()
    {
        await using var sut = CreateSut();
        var bad = sut.Manager.GetOrCreate("bob@contoso.com");
        var good = sut.Manager.GetOrCreate(User);
        sut.Protocol.Handler = c => c.UserId == bad.UserId ? Task.FromException(FakePresenceProtocol.Permanent()) : Task.CompletedTask;

        Assert.That(async () => await bad.SetAsync(PresenceState.Available), Throws.TypeOf<PresenceRequestException>().With.Property(nameof(PresenceRequestException.StatusCode)).EqualTo(HttpStatusCode.Forbidden));
        await good.SetAsync(PresenceState.Available);
        sut.Time.Run(TimeSpan.FromHours(1));

        Assert.Multiple(() =>
        {
            Assert.That(bad.Status, Is.EqualTo(PresenceSessionStatus.Failed));
            Assert.That(bad.NextRefreshAt, Is.Null);
            Assert.That(bad.LastError?.IsTransient, Is.False);
            Assert.That(sut.Protocol.CallsFor(bad.UserId), Has.Count.EqualTo(1), "no retry, no refresh after a permanent error");
            Assert.That(good.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(sut.Protocol.CallsFor(User), Has.Count.EqualTo(1 + (int)(TimeSpan.FromHours(1) / AvailablePeriod)));
            Assert.That(sut.Protocol.LapseCount, Is.Zero);
        });
    }

    [Test]
    public async Task SetAsync_AfterPermanentFailure_StartsAgain()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);
        sut.Protocol.Handler = _ => Task.FromException(FakePresenceProtocol.Permanent(HttpStatusCode.BadRequest));
        Assert.That(async () => await session.SetAsync(PresenceState.Available), Throws.TypeOf<PresenceRequestException>());

        sut.Protocol.Handler = null;
        await session.SetAsync(PresenceState.Away);

        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
        Assert.That(session.NextRefreshAt, Is.Not.Null);
    }

    [TestCase(PresenceProtocol.SetPresence, "Offline")]
    [TestCase(PresenceProtocol.Patch, "DoNotDisturb/Presenting")]
    public async Task SetAsync_UnsupportedState_ThrowsListingAllowedStatesAndSendsNothing(PresenceProtocol protocol, string state)
    {
        await using var sut = CreateSut(protocol: protocol);
        var session = sut.Manager.GetOrCreate(User);

        var error = Assert.Throws<ArgumentException>(() => session.SetAsync(PresenceState.Parse(state)));

        Assert.That(error!.Message, Does.Contain(PresenceState.Describe(PresenceState.ValuesFor(protocol))));
        Assert.That(sut.Protocol.Calls, Is.Empty);
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.NotStarted));
    }

    [Test]
    public async Task ClearAsync_AfterSet_SignsOffAndStopsRefreshing()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);
        await session.SetAsync(PresenceState.BusyInACall);

        await session.ClearAsync();
        sut.Time.Run(TimeSpan.FromHours(1));

        Assert.That(sut.Protocol.Calls.Select(c => c.Operation), Is.EqualTo(new[] { "setPresence", "clearPresence" }));
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Cleared));
        Assert.That(session.NextRefreshAt, Is.Null);
        Assert.That(session.DesiredState, Is.Null);
    }

    [Test]
    public async Task ClearAsync_TransientFailureThenSuccess_RetriesAndSignsOff()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);
        var statuses = RecordStatuses(session);
        await session.SetAsync(PresenceState.BusyInACall);
        var clears = 0;
        sut.Protocol.Handler = c => c.Operation == "clearPresence" && ++clears == 1
            ? Task.FromException(FakePresenceProtocol.Transient())
            : Task.CompletedTask;

        // The caller sees the failed send, as before; the retry goes on in the background.
        var error = await Assert.ThrowsAsync<PresenceRequestException>(() => session.ClearAsync());
        Assert.That(error!.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Retrying));
        Assert.That(sut.Protocol.CurrentState(User), Is.EqualTo(PresenceState.BusyInACall));

        sut.Time.Run(TimeSpan.FromSeconds(10));
        Assert.That(sut.Protocol.Calls.Select(c => c.Operation), Is.EqualTo(new[] { "setPresence", "clearPresence", "clearPresence" }));
        var retryAfter = sut.Protocol.Calls[2].At - sut.Protocol.Calls[1].At;
        sut.Time.Run(TimeSpan.FromHours(1));

        Assert.Multiple(() =>
        {
            Assert.That(retryAfter, Is.InRange(TimeSpan.FromSeconds(1.6), TimeSpan.FromSeconds(2)), "the first backoff step: 2 s, up to 20% less");
            Assert.That(sut.Protocol.Calls, Has.Count.EqualTo(3), "nothing after the sign-off landed");
            Assert.That(sut.Protocol.CurrentState(User), Is.Null);
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Cleared));
            Assert.That(session.LastError, Is.Null);
            Assert.That(session.NextRefreshAt, Is.Null);
            Assert.That(statuses, Is.EqualTo(new[] { PresenceSessionStatus.Active, PresenceSessionStatus.Retrying, PresenceSessionStatus.Cleared }));
        });
    }

    [Test]
    public async Task ClearAsync_TransientFailuresPastTheLease_ClearedWhenTheLeaseEndsWithNoMoreRequests()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);
        await session.SetAsync(PresenceState.BusyInACall);
        var setAt = sut.Time.GetUtcNow();
        sut.Time.Run(TimeSpan.FromMinutes(1));
        sut.Protocol.Handler = c => c.Operation == "clearPresence" ? Task.FromException(FakePresenceProtocol.Transient()) : Task.CompletedTask;

        await Assert.ThrowsAsync<PresenceRequestException>(() => session.ClearAsync());
        sut.Time.Run(sut.Options.Lease);
        var clears = sut.Protocol.Calls.Where(c => c.Operation == "clearPresence").ToList();
        sut.Time.Run(TimeSpan.FromHours(1));

        Assert.Multiple(() =>
        {
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Cleared), "the service ended the session with the lease");
            Assert.That(clears, Has.Count.GreaterThan(5), "retried within the lease");
            Assert.That(clears[^1].At, Is.LessThan(setAt + sut.Options.Lease), "no retry after the lease");
            Assert.That(sut.Protocol.Calls, Has.Count.EqualTo(1 + clears.Count), "no more requests of any kind");
            Assert.That(session.LastError?.IsTransient, Is.True);
            Assert.That(sut.Logger.Collector.GetSnapshot().Where(r => r.Id.Id == 116), Has.Exactly(1).Items);
        });
    }

    [Test]
    public async Task ClearAsync_RetryAfterLongerThanTheLease_NoRetryAndClearedWhenTheLeaseEnds()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);
        await session.SetAsync(PresenceState.BusyInACall);
        sut.Protocol.Handler = c => c.Operation == "clearPresence"
            ? Task.FromException(new PresenceRequestException("Fake 503") { StatusCode = HttpStatusCode.ServiceUnavailable, RetryAfter = TimeSpan.FromMinutes(10) })
            : Task.CompletedTask;

        await Assert.ThrowsAsync<PresenceRequestException>(() => session.ClearAsync());
        sut.Time.Run(sut.Options.Lease - TimeSpan.FromSeconds(1));
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Retrying));
        sut.Time.Run(TimeSpan.FromHours(1));

        Assert.That(sut.Protocol.Calls.Select(c => c.Operation), Is.EqualTo(new[] { "setPresence", "clearPresence" }), "Retry-After is honoured; past the lease nothing is sent");
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Cleared));
    }

    [Test]
    public async Task ClearAsync_PermanentFailure_FailedWithoutRetry()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);
        await session.SetAsync(PresenceState.BusyInACall);
        sut.Protocol.Handler = c => c.Operation == "clearPresence" ? Task.FromException(FakePresenceProtocol.Permanent(HttpStatusCode.Unauthorized)) : Task.CompletedTask;

        var error = await Assert.ThrowsAsync<PresenceRequestException>(() => session.ClearAsync());
        sut.Time.Run(TimeSpan.FromHours(1));

        Assert.Multiple(() =>
        {
            Assert.That(error!.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Failed));
            Assert.That(sut.Protocol.Calls.Select(c => c.Operation), Is.EqualTo(new[] { "setPresence", "clearPresence" }), "no retry, no refresh");
            Assert.That(sut.Logger.Collector.GetSnapshot().Where(r => r.Id.Id == 108), Has.Exactly(1).Items);
        });
    }

    [Test]
    public async Task ClearAsync_NeverSet_SendsNothing()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate(User);

        await session.ClearAsync();

        Assert.That(sut.Protocol.Calls, Is.Empty);
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Cleared));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        await Task.Run(() => SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(10)));
        Assert.That(condition(), Is.True, "condition not reached within 10 s");
    }

    private static Sut CreateSut(int seed = 42, bool signOffOnDispose = false, PresenceProtocol protocol = PresenceProtocol.SetPresence) =>
        new(new PresenceKeepAliveOptions { SignOffOnDispose = signOffOnDispose, Protocol = protocol }, seed);

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
}
