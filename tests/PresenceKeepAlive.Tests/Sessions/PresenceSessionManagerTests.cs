using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using System.Net;
using PresenceKeepAlive.Tests.Fakes;

namespace PresenceKeepAlive.Tests.Sessions;

public class PresenceSessionManagerTests
{
    [TestCase("alice")]
    [TestCase("@contoso.com")]
    [TestCase("alice@")]
    [TestCase("alice@contoso.com/../../admin")]
    [TestCase("alice@contoso..com")]
    [TestCase("alice@contoso.com?x=1")]
    [TestCase("alice@contoso.com#frag")]
    [TestCase("alice%40contoso.com")]
    [TestCase("alice\\bob@contoso.com")]
    [TestCase("alice smith@contoso.com")]
    [TestCase("alice@contoso.com\n")]
    [TestCase("alice\u0001@contoso.com")]
    [TestCase("a@b@contoso.com")]
    [TestCase(" ")]
    public async Task GetOrCreate_InvalidUserId_ThrowsSayingWhatIsAllowedAndSendsNothing(string userId)
    {
        await using var sut = CreateSut();

        var error = Assert.Throws<ArgumentException>(() => sut.Manager.GetOrCreate(userId));

        Assert.That(error!.Message, Does.Contain("GUID").And.Contain("user principal name"));
        Assert.That(sut.Manager.Count, Is.Zero);
        Assert.That(sut.Protocol.Calls, Is.Empty);
    }

    [Test]
    public async Task GetOrCreate_Null_ThrowsArgumentNullException()
    {
        await using var sut = CreateSut();

        Assert.Throws<ArgumentNullException>(() => sut.Manager.GetOrCreate(null!));
    }

    [TestCase("8f2c1e4a-3b5d-4c6e-9f70-1a2b3c4d5e6f")]
    [TestCase("alice@contoso.com")]
    [TestCase("first.last+tag@sub.contoso.co.uk")]
    public async Task GetOrCreate_ValidUserId_ReturnsOneSessionPerUserIgnoringCase(string userId)
    {
        await using var sut = CreateSut();

        var session = sut.Manager.GetOrCreate(userId);

        Assert.That(sut.Manager.GetOrCreate(userId.ToUpperInvariant()), Is.SameAs(session));
        Assert.That(sut.Manager.TryGet(userId, out var found), Is.True);
        Assert.That(found, Is.SameAs(session));
        Assert.That(sut.Manager.Count, Is.EqualTo(1));
        Assert.That(sut.Manager.Sessions, Is.EquivalentTo(new[] { session }));
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.NotStarted));
    }

    [Test]
    public async Task SignOffAsync_HeldSessionThatSentNothing_SendsClearPresenceAnywayAndStaysCleared()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate("a@contoso.com");

        await sut.Manager.SignOffAsync("a@contoso.com").WaitAsync(TimeSpan.FromSeconds(10));
        sut.Time.Run(TimeSpan.FromMinutes(30));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sut.Protocol.Calls.Select(c => c.Operation + ":" + c.UserId), Is.EqualTo(new[] { "clearPresence:a@contoso.com" }), "a session an earlier run left is signed off");
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Cleared));
            Assert.That(session.DesiredState, Is.Null);
        }
    }

    [Test]
    public async Task SignOffAsync_HeldSessionThatWasSet_SendsOneClear()
    {
        await using var sut = CreateSut();
        var session = sut.Manager.GetOrCreate("a@contoso.com");
        await session.SetAsync(PresenceState.BusyInACall).WaitAsync(TimeSpan.FromSeconds(10));

        await sut.Manager.SignOffAsync("a@contoso.com").WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(sut.Protocol.Calls.Select(c => c.Operation), Is.EqualTo(new[] { "setPresence", "clearPresence" }));
    }

    [Test]
    public async Task SignOffAllAsync_SomeFail_ClearsTheOthersAndReportsFailuresByUser()
    {
        await using var sut = CreateSut();
        var users = new[] { "a@contoso.com", "b@contoso.com", "c@contoso.com" };
        foreach (var user in users)
        {
            await sut.Manager.GetOrCreate(user).SetAsync(PresenceState.BusyInACall);
        }

        sut.Protocol.Handler = c => c.Operation == "clearPresence" && c.UserId == "b@contoso.com"
            ? Task.FromException(FakePresenceProtocol.Permanent(HttpStatusCode.Unauthorized))
            : Task.CompletedTask;
        var result = await sut.Manager.SignOffAllAsync();

        Assert.That(result.SignedOff, Is.EquivalentTo(new[] { "a@contoso.com", "c@contoso.com" }));
        Assert.That(result.Failed.Keys, Is.EquivalentTo(new[] { "b@contoso.com" }));
        Assert.That(result.Failed["b@contoso.com"], Is.TypeOf<PresenceRequestException>());
        Assert.That(sut.Protocol.CurrentState("a@contoso.com"), Is.Null);
        Assert.That(sut.Protocol.CurrentState("b@contoso.com"), Is.EqualTo(PresenceState.BusyInACall));
        sut.Time.Run(TimeSpan.FromMinutes(30));
        Assert.That(sut.Protocol.Calls.Count(c => c.Operation == "setPresence"), Is.EqualTo(3), "nothing is refreshed after a sign-off");
    }

    [Test]
    public async Task SignOffAllAsync_TransientFailure_ReportedAsFailedAndRetriedInTheBackground()
    {
        await using var sut = CreateSut();
        await sut.Manager.GetOrCreate("a@contoso.com").SetAsync(PresenceState.BusyInACall);
        var b = sut.Manager.GetOrCreate("b@contoso.com");
        await b.SetAsync(PresenceState.BusyInACall);
        var failed = 0;
        sut.Protocol.Handler = c => c.Operation == "clearPresence" && c.UserId == "b@contoso.com" && ++failed == 1
            ? Task.FromException(FakePresenceProtocol.Transient(HttpStatusCode.ServiceUnavailable))
            : Task.CompletedTask;

        var result = await sut.Manager.SignOffAllAsync();
        Assert.That(result.SignedOff, Is.EqualTo(new[] { "a@contoso.com" }));
        Assert.That(result.Failed.Keys, Is.EquivalentTo(new[] { "b@contoso.com" }));
        sut.Time.Run(TimeSpan.FromMinutes(30));

        Assert.That(sut.Protocol.CurrentState("b@contoso.com"), Is.Null, "the retry signed b off");
        Assert.That(b.Status, Is.EqualTo(PresenceSessionStatus.Cleared));
        Assert.That(sut.Protocol.Calls.Count(c => c.Operation == "setPresence"), Is.EqualTo(2), "nothing is refreshed after a sign-off");
    }

    [Test]
    public async Task SignOffAllAsync_Cancelled_ReportsSessionsNotSignedOff()
    {
        await using var sut = CreateSut();
        await sut.Manager.GetOrCreate("a@contoso.com").SetAsync(PresenceState.Available);
        await sut.Manager.GetOrCreate("b@contoso.com").SetAsync(PresenceState.Available);
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = c => c.UserId == "b@contoso.com" ? hang.Task : Task.CompletedTask;
        using var cts = new CancellationTokenSource();

        // Sends run on engine threads: a's sign-off is recorded by the fake before the engine has seen its answer, so wait
        // for its status event (raised after its callers are completed) before cancelling.
        var aCleared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Manager.GetOrCreate("a@contoso.com").StatusChanged += (_, e) =>
        {
            if (e.Status == PresenceSessionStatus.Cleared)
            {
                aCleared.TrySetResult();
            }
        };
        var signOff = sut.Manager.SignOffAllAsync(cts.Token);
        await sut.Protocol.WaitForCallsAsync(4);
        await aCleared.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cts.CancelAsync();
        var result = await signOff.WaitAsync(TimeSpan.FromSeconds(10));
        hang.SetResult();

        Assert.That(result.SignedOff, Is.EqualTo(new[] { "a@contoso.com" }));
        Assert.That(result.Failed["b@contoso.com"], Is.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task DisposeAsync_SignOffOnDispose_SignsEverySessionOffAndRejectsNewOnes()
    {
        var sut = CreateSut(signOffOnDispose: true);
        await sut.Manager.GetOrCreate("a@contoso.com").SetAsync(PresenceState.Available);
        await sut.Manager.GetOrCreate("b@contoso.com").SetAsync(PresenceState.Away);
        var idle = sut.Manager.GetOrCreate("c@contoso.com");

        await sut.DisposeAsync();

        Assert.That(sut.Protocol.Calls.Where(c => c.Operation == "clearPresence").Select(c => c.UserId), Is.EquivalentTo(new[] { "a@contoso.com", "b@contoso.com" }));
        Assert.That(idle.Status, Is.EqualTo(PresenceSessionStatus.Disposed));
        Assert.That(() => sut.Manager.GetOrCreate("d@contoso.com"), Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public async Task DisposeAsync_SignOffHangs_GivesUpAfterThirtySeconds()
    {
        var sut = CreateSut(signOffOnDispose: true);
        await sut.Manager.GetOrCreate("a@contoso.com").SetAsync(PresenceState.Available);
        var hang = new TaskCompletionSource();
        sut.Protocol.Handler = c => c.Operation == "clearPresence" ? hang.Task : Task.CompletedTask;

        var dispose = sut.DisposeAsync().AsTask();
        await sut.Protocol.WaitForCallsAsync(2);
        sut.Time.Advance(TimeSpan.FromSeconds(29.9));
        Assert.That(dispose.IsCompleted, Is.False, "gave up before 30 s");
        sut.Time.Advance(TimeSpan.FromSeconds(0.1));
        await dispose.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(sut.Logger.Collector.GetSnapshot().Any(r => r.Id.Id == 114), Is.True, "the failed sign-off is logged");
    }

    [Test]
    public async Task DisposeAsync_SetAsyncWhileSigningOff_IsRefusedSoUsersStaySignedOff()
    {
        var sut = CreateSut(signOffOnDispose: true);
        var session = sut.Manager.GetOrCreate("a@contoso.com");
        await session.SetAsync(PresenceState.BusyInACall);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = c => c.Operation == "clearPresence" ? release.Task : Task.CompletedTask;

        var dispose = sut.DisposeAsync().AsTask();
        await sut.Protocol.WaitForCallsAsync(2);
        Assert.That(() => { _ = session.SetAsync(PresenceState.Available); }, Throws.InstanceOf<ObjectDisposedException>());
        release.SetResult();
        await dispose.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(sut.Protocol.Calls.Select(c => c.Operation), Is.EqualTo(new[] { "setPresence", "clearPresence" }));
        Assert.That(sut.Protocol.CurrentState("a@contoso.com"), Is.Null);
    }

    [Test]
    public async Task StatusChanged_AnySession_RaisedOnTheManager()
    {
        await using var sut = CreateSut();
        var events = new List<PresenceSessionStatusChangedEventArgs>();
        sut.Manager.StatusChanged += (_, e) => events.Add(e);

        await sut.Manager.GetOrCreate("a@contoso.com").SetAsync(PresenceState.Available);
        await sut.Manager.GetOrCreate("b@contoso.com").SetAsync(PresenceState.Available);

        Assert.That(events.Select(e => (e.UserId, e.PreviousStatus, e.Status)), Is.EqualTo(new[]
        {
            ("a@contoso.com", PresenceSessionStatus.NotStarted, PresenceSessionStatus.Active),
            ("b@contoso.com", PresenceSessionStatus.NotStarted, PresenceSessionStatus.Active),
        }));
    }

    [Test]
    public async Task SetAsync_OddOptions_FallsBackToSafeValuesInsteadOfCrashingOrSpinning()
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions
        {
            SignOffOnDispose = false,
            RefreshInterval = TimeSpan.Zero,
            SessionTimeout = TimeSpan.FromMinutes(-1),
            RateLimitPerWindow = 0,
            RateLimitWindow = TimeSpan.Zero,
        });
        var session = sut.Manager.GetOrCreate("alice@contoso.com");

        await session.SetAsync(PresenceState.Available);
        sut.Time.Run(TimeSpan.FromMinutes(10));

        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
        Assert.That(sut.Protocol.Calls, Has.Count.EqualTo(3), "set at 0, refreshes at 4 and 8 minutes (the defaults)");
    }

    private static Sut CreateSut(bool signOffOnDispose = false) =>
        new(new PresenceKeepAliveOptions { SignOffOnDispose = signOffOnDispose });

    [Test]
    public async Task Refresh_AnotherSessionThrottledWithRetryAfter_WaitsForTheHoldWhileStateChangesStillGo()
    {
        // b refreshes every 2 minutes, well before its deadline (5:00 after each acceptance): a hold may delay it.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RefreshInterval = TimeSpan.FromMinutes(2) });
        var b = sut.Manager.GetOrCreate("b@contoso.com");
        await b.SetAsync(PresenceState.Available);                        // b's refresh falls due at 2:00
        sut.Time.Run(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(55));
        sut.Protocol.Handler = ThrottleFirstCallOf("a@contoso.com", TimeSpan.FromSeconds(10), sut);

        // a is throttled at 1:55 for 10 s: Graph throttles the whole app, so b's refresh due at 2:00 waits until 2:05.
        var throttled = await Assert.ThrowsAsync<PresenceRequestException>(() => sut.Manager.GetOrCreate("a@contoso.com").SetAsync(PresenceState.Available));
        Assert.That(throttled!.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));

        // A state change is what users see: it is not held (it still takes its place in the budget).
        await sut.Manager.GetOrCreate("c@contoso.com").SetAsync(PresenceState.Away).WaitAsync(TimeSpan.FromSeconds(10));

        sut.Time.Run(TimeSpan.FromSeconds(9.9), TimeSpan.FromSeconds(0.1));
        Assert.That(sut.Protocol.CallsFor("b@contoso.com"), Has.Count.EqualTo(1), "b refreshed during the Retry-After hold");
        sut.Time.Run(TimeSpan.FromSeconds(0.2), TimeSpan.FromSeconds(0.1));

        var bRefresh = sut.Protocol.CallsFor("b@contoso.com")[1];
        Assert.That(bRefresh.At - Clock.Start, Is.EqualTo(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(5)).Within(TimeSpan.FromSeconds(0.1)));
        Assert.That(sut.Protocol.CurrentState("a@contoso.com"), Is.EqualTo(PresenceState.Available), "a's own retry lands after the hold");
    }

    [Test]
    public async Task Refresh_AnotherSessionThrottledForTenMinutes_HoldsOthersOnlyUntilTheirDeadlineLessTheMargin()
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RefreshInterval = TimeSpan.FromMinutes(2) });
        using var lapses = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(sut.Metrics.Meter, "presencekeepalive.sessions.lapses");
        var b = sut.Manager.GetOrCreate("b@contoso.com");
        await b.SetAsync(PresenceState.Available);
        sut.Time.Run(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(55));
        sut.Protocol.Handler = ThrottleFirstCallOf("a@contoso.com", TimeSpan.FromSeconds(600), sut);
        Assert.That(async () => await sut.Manager.GetOrCreate("a@contoso.com").SetAsync(PresenceState.Available), Throws.TypeOf<PresenceRequestException>());

        sut.Time.Run(TimeSpan.FromMinutes(6), TimeSpan.FromSeconds(0.5));

        // b's refresh, due at 2:00, waits for a's throttling but goes at 4:35 (its 5:00 deadline less the 25 s margin):
        // one user's long Retry-After never lapses the others.
        Assert.Multiple(() =>
        {
            Assert.That(sut.Protocol.CallsFor("b@contoso.com")[1].At - Clock.Start, Is.EqualTo(TimeSpan.FromSeconds(275)).Within(TimeSpan.FromSeconds(0.5)));
            Assert.That(lapses.GetMeasurementSnapshot().EvaluateAsCounter(), Is.Zero);
            Assert.That(sut.Protocol.LapseCount, Is.Zero);
            Assert.That(b.Status, Is.EqualTo(PresenceSessionStatus.Active));

            // a's own retry honours the Retry-After up to one session timeout, and says it capped it.
            Assert.That(sut.Protocol.CallsFor("a@contoso.com")[1].At - Clock.Start, Is.EqualTo(TimeSpan.FromSeconds(115 + 300)).Within(TimeSpan.FromSeconds(0.5)));
            Assert.That(sut.Logger.Collector.GetSnapshot().Where(r => r.Id.Id == 119).Select(r => r.Level), Is.EqualTo(new[] { Microsoft.Extensions.Logging.LogLevel.Warning }));
        });
    }

    private static Func<RecordedCall, Task> ThrottleFirstCallOf(string userId, TimeSpan retryAfter, Sut sut) =>
        c => c.UserId == userId && sut.Protocol.CallsFor(userId).Count == 1
            ? Task.FromException(new PresenceRequestException("Fake 429")
            {
                StatusCode = HttpStatusCode.TooManyRequests,
                RetryAfter = retryAfter,
            })
            : Task.CompletedTask;
}
