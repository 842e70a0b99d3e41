using System.Collections.Concurrent;
using System.Net;
using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.IntegrationTests.Infrastructure;

namespace PresenceKeepAlive.IntegrationTests;

/// <summary>Injected 5xx, dropped connections and a permanent 403, survived or contained as a user relies on.</summary>
public class FaultTests
{
    // MaxRetryAttempts 0: every retry is the session's own (visible in Status and NextRefreshAt); 3 (the default):
    // Polly retries inside each send first. Both backoffs run on the fake clock.
    [Test]
    public async Task Outage503_LongerThanTheTimeout_SessionsRetryLapseAndRecoverWithTheLastDesiredState([Values(0, 3)] int maxRetryAttempts)
    {
        await using var harness = await IntegrationHarness.StartAsync(settings: Retries(maxRetryAttempts));

        // Once every send keeps failing, the sessions back off together: one probe at a time, up to 30 s apart, so a
        // retry may wait for the other session's probe as well as its own.
        harness.StallTolerance = TimeSpan.FromMinutes(2);
        var transitions = Record(harness.Manager);
        var adele = harness.Manager.GetOrCreate(Users.Adele);
        var alex = harness.Manager.GetOrCreate(Users.Alex);
        await IntegrationHarness.WithinCapAsync(adele.SetAsync(PresenceState.Available), "Adele to be set");
        await IntegrationHarness.WithinCapAsync(alex.SetAsync(PresenceState.BusyInACall), "Alex to be set");
        await harness.AdvanceAsync(TimeSpan.FromMinutes(1));

        var outageStart = harness.Emulator.EmulatedNow;
        var outageEnd = outageStart + TimeSpan.FromMinutes(8);
        harness.Emulator.AddFault(new FaultRule { StatusCode = 503, Operation = EmulatorOperation.SetPresence, From = outageStart, Until = outageEnd });
        await harness.AdvanceAsync(TimeSpan.FromMinutes(4));
        Assert.That(adele.Status, Is.EqualTo(PresenceSessionStatus.Retrying), "a refresh has failed, the timeout has not passed");

        // The user changes their mind during the outage: the caller hears about the failure, the desire stays.
        // By now the sessions may be backing off together (one probe at a time, up to 30 s apart): the change goes as the
        // next probe, and its in-send retries (up to 7 s) follow.
        var duringOutage = adele.SetAsync(PresenceState.DoNotDisturbPresenting);
        await harness.AdvanceAsync(TimeSpan.FromSeconds(45));
        var error = await Assert.ThrowsAsync<PresenceRequestException>(() => duringOutage.WaitAsync(IntegrationHarness.RealTimeCap));
        Assert.Multiple(() =>
        {
            Assert.That(error!.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(error.IsTransient, Is.True);
            Assert.That(adele.DesiredState, Is.EqualTo(PresenceState.DoNotDisturbPresenting));
        });

        await harness.AdvanceAsync(outageEnd - harness.Now + TimeSpan.FromMinutes(2));

        Assert.Multiple(() =>
        {
            Assert.That(transitions[Users.Adele], Is.EqualTo(new[] { PresenceSessionStatus.Active, PresenceSessionStatus.Retrying, PresenceSessionStatus.Lapsed, PresenceSessionStatus.Active }));
            Assert.That(transitions[Users.Alex], Is.EqualTo(new[] { PresenceSessionStatus.Active, PresenceSessionStatus.Retrying, PresenceSessionStatus.Lapsed, PresenceSessionStatus.Active }));
            Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Adele)), Is.EqualTo("DoNotDisturb/Presenting"), "the last desired state won");
            Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Alex)), Is.EqualTo("Busy/InACall"));
            Assert.That(adele.LastError, Is.Null);

            // The scheduler's backoff is capped at SessionTimeout / 10 = 30 s: recovery follows the outage's end promptly.
            Assert.That(adele.LastConfirmedAt, Is.InRange(outageEnd, outageEnd + TimeSpan.FromSeconds(31)));
            Assert.That(alex.LastConfirmedAt, Is.GreaterThanOrEqualTo(outageEnd));
            Assert.That(harness.Emulator.Counters.InjectedFaults, Is.GreaterThan(10), "the sessions kept retrying through the outage");

            // While nothing was accepted the service ended the sessions (5-minute lease): users went Offline, then came back.
            Assert.That(harness.Emulator.GetHistory(Users.Alex).Select(h => h.Availability), Is.EqualTo(new[] { "Busy", "Offline", "Busy" }));
        });
    }

    [Test]
    public async Task SetAsync_Two503sWithRetryAfter_RetriedInsideTheSendAfterExactlyRetryAfterAndTheCallerSeesSuccess()
    {
        // The default in-send retries (Polly, 3 attempts), with a short backoff: the emulator's Retry-After must win.
        await using var harness = await IntegrationHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["RetryBaseDelay"] = "00:00:00.100",
            ["RetryMaxDelay"] = "00:00:05",
        });
        var retryAfter = TimeSpan.FromSeconds(3);
        harness.Emulator.AddFault(new FaultRule { StatusCode = 503, Count = 2, Operation = EmulatorOperation.SetPresence, RetryAfter = retryAfter });
        var transitions = Record(harness.Manager);
        var adele = harness.Manager.GetOrCreate(Users.Adele);
        var start = harness.Now;

        var set = adele.SetAsync(PresenceState.BusyInACall);
        for (var delays = 1; delays <= 2; delays++)
        {
            var expected = delays;
            await IntegrationHarness.WaitUntilAsync(
                () => harness.LibraryTime.TimerDueTimes.Count(d => d == retryAfter) == expected,
                () => $"the library waits {retryAfter} (the Retry-After) for the {expected}. time; timers asked for: {string.Join(", ", harness.LibraryTime.TimerDueTimes.Distinct())}");
            Assert.That(set.IsCompleted, Is.False, "the caller waits while the send retries");
            harness.Time.Advance(retryAfter);
        }

        await IntegrationHarness.WithinCapAsync(set, "the set to be accepted on the third attempt");
        Assert.Multiple(() =>
        {
            Assert.That(harness.Emulator.Counters.InjectedFaults, Is.EqualTo(2));
            Assert.That(harness.Emulator.Counters.GetCount(EmulatorOperation.SetPresence), Is.EqualTo(3));
            Assert.That(harness.Emulator.GetSessions(Users.Adele).Single().LastRefreshed, Is.EqualTo(start + (2 * retryAfter)));
            Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Adele)), Is.EqualTo("Busy/InACall"));
            Assert.That(transitions[Users.Adele], Is.EqualTo(new[] { PresenceSessionStatus.Active }), "retries inside one send never show as Retrying");
        });
    }

    [Test]
    public async Task DroppedConnections_NoInSendRetries_SessionRetriesAndTheNewStateLands()
    {
        await using var harness = await IntegrationHarness.StartAsync(settings: Retries(0));
        var transitions = Record(harness.Manager);
        var adele = harness.Manager.GetOrCreate(Users.Adele);
        await IntegrationHarness.WithinCapAsync(adele.SetAsync(PresenceState.Available), "Adele to be set");
        await harness.AdvanceAsync(TimeSpan.FromMinutes(1));

        harness.Emulator.AddFault(new FaultRule { DropConnection = true, Count = 3 });
        var error = await Assert.ThrowsAsync<PresenceRequestException>(() => adele.SetAsync(PresenceState.BusyInACall).WaitAsync(IntegrationHarness.RealTimeCap));
        await harness.AdvanceAsync(TimeSpan.FromMinutes(2));

        Assert.Multiple(() =>
        {
            Assert.That(error!.IsTransient, Is.True, "a dropped connection is a network error");
            Assert.That(error.StatusCode, Is.Null);
            Assert.That(harness.Emulator.Counters.InjectedFaults, Is.EqualTo(3));
            Assert.That(transitions[Users.Adele], Is.EqualTo(new[] { PresenceSessionStatus.Active, PresenceSessionStatus.Retrying, PresenceSessionStatus.Active }));
            Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Adele)), Is.EqualTo("Busy/InACall"));
            Assert.That(harness.Emulator.GetHistory(Users.Adele).Select(h => h.Activity), Is.EqualTo(new[] { "Available", "InACall" }), "no fade");
        });
    }

    [Test]
    public async Task DroppedConnections_DefaultInSendRetries_CallerSeesSuccessAndTheSessionNeverRetries()
    {
        await using var harness = await IntegrationHarness.StartAsync();
        var transitions = Record(harness.Manager);
        var adele = harness.Manager.GetOrCreate(Users.Adele);
        await IntegrationHarness.WithinCapAsync(adele.SetAsync(PresenceState.Available), "Adele to be set");

        harness.Emulator.AddFault(new FaultRule { DropConnection = true, Count = 3 });
        var set = adele.SetAsync(PresenceState.BusyInACall);
        await harness.AdvanceAsync(TimeSpan.FromMinutes(1));

        Assert.Multiple(() =>
        {
            Assert.That(set.Status, Is.EqualTo(TaskStatus.RanToCompletion), "Polly's retries absorbed the drops");
            Assert.That(harness.Emulator.Counters.InjectedFaults, Is.EqualTo(3));
            Assert.That(transitions[Users.Adele], Is.EqualTo(new[] { PresenceSessionStatus.Active }));
            Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Adele)), Is.EqualTo("Busy/InACall"));
        });
    }

    [Test]
    public async Task Forbidden403_ForOneUser_StopsThatSessionOnlyAndNeverRetriesIt()
    {
        await using var harness = await IntegrationHarness.StartAsync();
        harness.Emulator.AddFault(new FaultRule { StatusCode = 403, ErrorCode = "Forbidden", PathContains = Users.Megan });
        var adele = harness.Manager.GetOrCreate(Users.Adele);
        var alex = harness.Manager.GetOrCreate(Users.Alex);
        var megan = harness.Manager.GetOrCreate(Users.Megan);
        await IntegrationHarness.WithinCapAsync(adele.SetAsync(PresenceState.Available), "Adele to be set");
        await IntegrationHarness.WithinCapAsync(alex.SetAsync(PresenceState.BusyInACall), "Alex to be set");

        var error = await Assert.ThrowsAsync<PresenceRequestException>(() => megan.SetAsync(PresenceState.DoNotDisturbPresenting).WaitAsync(IntegrationHarness.RealTimeCap));
        await harness.AdvanceAsync(TimeSpan.FromMinutes(15));

        Assert.Multiple(() =>
        {
            Assert.That(error!.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(error.IsTransient, Is.False);
            Assert.That(megan.Status, Is.EqualTo(PresenceSessionStatus.Failed));
            Assert.That(megan.LastError?.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(megan.NextRefreshAt, Is.Null, "a failed session is not refreshed");
            Assert.That(harness.Emulator.Counters.InjectedFaults, Is.EqualTo(1), "the 403 was never retried");
            Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Megan)), Is.EqualTo("Offline/Offline"));
            Assert.That(new[] { adele.Status, alex.Status }, Is.All.EqualTo(PresenceSessionStatus.Active));
            Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Adele)), Is.EqualTo("Available/Available"));
            Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Alex)), Is.EqualTo("Busy/InACall"));
            Assert.That(harness.Emulator.GetHistory(Users.Adele), Has.Count.EqualTo(1), "no fade for the others");
            Assert.That(harness.Requests.Count(Users.Adele, "/setPresence"), Is.GreaterThanOrEqualTo(4), "the others kept refreshing");
        });
    }

    private static Dictionary<string, string?> Retries(int maxRetryAttempts) =>
        new() { ["MaxRetryAttempts"] = maxRetryAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static ConcurrentDictionary<string, List<PresenceSessionStatus>> Record(IPresenceSessionManager manager)
    {
        var transitions = new ConcurrentDictionary<string, List<PresenceSessionStatus>>(StringComparer.OrdinalIgnoreCase);
        manager.StatusChanged += (_, e) =>
        {
            var list = transitions.GetOrAdd(e.UserId, _ => []);
            lock (list)
            {
                list.Add(e.Status);
            }
        };
        return transitions;
    }
}
