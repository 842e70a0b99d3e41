using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Sessions.Internal;
using PresenceKeepAlive.Tests.Fakes;

namespace PresenceKeepAlive.Tests.KeepAlive;

/// <summary>
/// One test (or more) per finding of issue 8 not covered elsewhere: each fails on the engine the issue measured and
/// passes on the new one. Time is a <see cref="FakeTimeProvider"/>; sends run on the thread pool, so every move of
/// the clock is followed by <see cref="Clock.Settle"/> (through <c>Run</c>/<c>AdvanceAndSettle</c>).
/// </summary>
public class EngineFindingsTests
{
    private static readonly AsyncLocal<string?> Ambient = new();

    [ThreadStatic]
    private static bool t_insideCallersSetAsync;

    // ---------------------------------------------------------------- Finding 1

    [TestCase(10, 10, 1)]
    [TestCase(300, 30, 2)]
    [TestCase(1500, 30, 3)]
    public void TryEnter_RandomizedReserveEnterReleaseSequence_NeverLetsMoreThanTheLimitIntoAnyClosedWindow(int limit, int windowSeconds, int seed)
    {
        // Finding 1: the budget counts HTTP attempts: whatever mix of reservations, reserved and unreserved attempts and releases, no closed window exceeds the limit.
        var time = Clock.Create();
        var gate = new RequestGate(limit, TimeSpan.FromSeconds(windowSeconds), new KeepAliveClock(time));
        var random = new Random(seed);
        var entries = new List<long>();
        var held = 0;
        var refused = 0;
        for (var i = 0; i < 40_000; i++)
        {
            switch (random.Next(6))
            {
                case 0:
                    // Sometimes several attempts at one instant, sometimes a long quiet spell.
                    time.Advance(TimeSpan.FromMilliseconds(random.Next(500) == 0 ? random.Next(0, windowSeconds * 2000) : random.Next(0, 30)));
                    break;
                case 1:
                    if (gate.TryReserve())
                    {
                        held++;
                    }
                    else
                    {
                        refused++;
                    }

                    break;
                case 2:
                case 3:
                    var reserved = held > 0 && random.Next(3) != 0;
                    if (gate.TryEnter(reserved))
                    {
                        entries.Add(time.GetUtcNow().UtcTicks);
                    }
                    else
                    {
                        refused++;
                    }

                    if (reserved)
                    {
                        held--;
                    }

                    break;
                case 4:
                    if (held > 0)
                    {
                        gate.Release();
                        held--;
                    }

                    break;
                default:
                    // An unbudgeted retry storm: every attempt asks for a free place.
                    for (var k = 0; k < 5; k++)
                    {
                        if (gate.TryEnter(reserved: false))
                        {
                            entries.Add(time.GetUtcNow().UtcTicks);
                        }
                    }

                    break;
            }
        }

        var worst = MaxInClosedWindow(entries, TimeSpan.FromSeconds(windowSeconds));
        TestContext.Out.WriteLine($"entries {entries.Count}, refused {refused}, fullest window {worst}");
        Assert.Multiple(() =>
        {
            Assert.That(worst, Is.LessThanOrEqualTo(limit), "attempts in the fullest closed window");
            // Smoothed gates (300 and 1,500 per 30 s) also pace at the average rate in every second, so a sequence with
            // quiet spells fills their whole window only now and then; it must still fill half of it, or the check proves nothing.
            Assert.That(worst, Is.GreaterThanOrEqualTo(limit / 2), "the sequence filled at least half the window");
            Assert.That(refused, Is.GreaterThan(0));
            Assert.That(gate.Entered, Is.EqualTo(entries.Count));
        });
    }

    [Test]
    public async Task SetAsync_FortySessionsAndGraphFailingEveryRequest_NoClosedWindowHoldsMoreThanTheBudget()
    {
        // Finding 1: the budget counts HTTP attempts, not sends: with in-send retries and a 503 for everything, at most 30 attempts reach Graph in any closed 30 s window.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = 30, RateLimitWindow = TimeSpan.FromSeconds(30) });
        var attempts = new ConcurrentQueue<long>();
        var retriesSent = 0;
        sut.Protocol.Handler = call =>
        {
            attempts.Enqueue(call.At.UtcTicks);

            // Stands in for Polly's in-send retries: each one must pass the gate through the send's ticket, as the real handler does.
            var ticket = PresenceSendScope.Current;
            Assert.That(ticket, Is.Not.Null, "every send carries a ticket");
            for (var retry = 0; retry < 3 && ticket!.RetriesAllowed; retry++)
            {
                if (!ticket.TryEnterAttempt())
                {
                    break;
                }

                Interlocked.Increment(ref retriesSent);
                attempts.Enqueue(sut.Time.GetUtcNow().UtcTicks);
            }

            return Task.FromException(FakePresenceProtocol.Transient());
        };

        var sets = Enumerable.Range(0, 40).Select(i => sut.Manager.GetOrCreate(UserId(i)).SetAsync(PresenceState.Available)).ToList();
        sut.Time.Run(TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(250));

        var callTimes = sut.Protocol.Calls.Select(c => c.At.UtcTicks).ToList();
        TestContext.Out.WriteLine($"sends {callTimes.Count}, in-send retries {retriesSent}, fullest window {MaxInClosedWindow(attempts.ToList(), TimeSpan.FromSeconds(30))}");
        Assert.Multiple(() =>
        {
            Assert.That(MaxInClosedWindow(callTimes, TimeSpan.FromSeconds(30)), Is.LessThanOrEqualTo(30), "sends reaching Graph in any closed 30 s window");
            Assert.That(MaxInClosedWindow(attempts.ToList(), TimeSpan.FromSeconds(30)), Is.LessThanOrEqualTo(30), "HTTP attempts (retries included) in any closed 30 s window");
            Assert.That(attempts.Count, Is.GreaterThanOrEqualTo(30), "the budget was actually under pressure");
            Assert.That(sut.Logger.Collector.GetSnapshot().Count(r => r.Id.Id == 117), Is.EqualTo(1), "the fleet backed off");
        });
    }

    // ---------------------------------------------------------------- Finding 3

    [Test]
    public async Task Pump_RetryWithEarlierDeadlineWaitingBesideARefresh_SendsTheRetryFirst()
    {
        // Finding 3: retries do not starve: refreshes and retries share one order, by deadline, so a retry due sooner goes before a refresh due later.
        var time = Clock.Create();
        var gate = new RequestGate(1, TimeSpan.FromSeconds(10), new KeepAliveClock(time));
        await using var scheduler = new KeepAliveScheduler(gate, new KeepAliveSettings(new PresenceKeepAliveOptions()), new PresenceKeepAliveMetrics(null), NullLogger.Instance, inlineDispatch: true);
        var sent = new List<string>();
        var now = scheduler.NowTicks;

        scheduler.Schedule(new RecordingWork("first", sent), 1, WorkPriority.StateChange, now, now);
        scheduler.Pump();
        Assert.That(sent, Is.EqualTo(new[] { "first" }), "the first send takes the only place of the window");

        // Both wait for the next place; the refresh was queued first and its deadline is later.
        scheduler.Schedule(new RecordingWork("refresh", sent), 1, WorkPriority.Refresh, now, now + TimeSpan.FromSeconds(200).Ticks);
        scheduler.Schedule(new RecordingWork("retry", sent), 1, WorkPriority.Retry, now, now + TimeSpan.FromSeconds(100).Ticks);
        scheduler.Pump();
        Assert.That(sent, Has.Count.EqualTo(1));

        time.Advance(TimeSpan.FromSeconds(10.1));
        Assert.That(sent, Is.EqualTo(new[] { "first", "retry" }), "the retry, due sooner, goes first");
        time.Advance(TimeSpan.FromSeconds(10.1));
        Assert.That(sent, Is.EqualTo(new[] { "first", "retry", "refresh" }));
    }

    [Test]
    public async Task Refresh_FailsOnceWhileTheBudgetIsBusyWithOtherRefreshes_IsServedAgainBeforeItsDeadline()
    {
        // Finding 3: a session that failed once is served again, before its deadline, while the budget is saturated by other sessions' refreshes.
        // 10 per 10 s (not smoothed): 100 sessions start in 10 batches of 10, 10 s apart, and so refresh from 4:35 to 6:05
        // in batches that each fill a whole window. user0's first refresh (4:35) fails; its retry (deadline 5:00) must not wait behind
        // the nine later batches (until about 6:15), which would lapse it.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = 10, RateLimitWindow = TimeSpan.FromSeconds(10) });
        var failing = UserId(0);
        sut.Protocol.Handler = c => c.UserId == failing && sut.Protocol.CallsFor(failing).Count == 2
            ? Task.FromException(FakePresenceProtocol.Transient())
            : Task.CompletedTask;
        var session = sut.Manager.GetOrCreate(failing);
        var sets = new List<Task> { session.SetAsync(PresenceState.Available) };
        for (var i = 1; i < 100; i++)
        {
            sets.Add(sut.Manager.GetOrCreate(UserId(i)).SetAsync(PresenceState.Available));
        }

        sut.Time.Run(TimeSpan.FromSeconds(420), TimeSpan.FromMilliseconds(100));
        await Task.WhenAll(sets).WaitAsync(TimeSpan.FromSeconds(10));

        var calls = sut.Protocol.CallsFor(failing);
        TestContext.Out.WriteLine(string.Join(", ", calls.Select(c => (c.At - Clock.Start).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture))));
        Assert.Multiple(() =>
        {
            Assert.That(calls, Has.Count.GreaterThanOrEqualTo(3), "set, failed refresh, retry");
            Assert.That(calls[1].At - Clock.Start, Is.EqualTo(TimeSpan.FromSeconds(275)).Within(TimeSpan.FromSeconds(1)), "the refresh that failed");
            Assert.That(calls.Count >= 3 ? calls[2].At - Clock.Start : TimeSpan.Zero, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(284)), "the retry had to wait for a place (the budget was busy)");
            Assert.That(calls.Count >= 3 ? calls[2].At - calls[0].At : TimeSpan.MaxValue, Is.LessThanOrEqualTo(TimeSpan.FromMinutes(5)), "the retry landed before the deadline");
            Assert.That(sut.Protocol.LapseCount, Is.Zero, "nobody went 5 minutes unconfirmed");
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
        });
    }

    // ---------------------------------------------------------------- Finding 4

    [Test]
    public async Task SetAsync_CleanServiceAt2850Then2950Sessions_WarnsOnlyNearTheMeasuredCapacityAndOnce()
    {
        // Finding 4: the capacity warning is honest on a clean service: 300 per 30 s carries 10/s x 300 s = 3,000 Available
        // sessions at the most (each needs one accepted request per 5-minute timeout); the warning fires past 97% of that.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = 300 });
        using var overCapacity = new MetricCollector<long>(sut.Metrics.Meter, "presencekeepalive.rate_budget.over_capacity");
        sut.Protocol.RecordCalls = false;
        Assert.That(sut.Manager.CapacitySessions, Is.EqualTo(2910));

        for (var i = 0; i < 2850; i++)
        {
            _ = sut.Manager.GetOrCreate(UserId(i)).SetAsync(PresenceState.Available);
        }

        Assert.Multiple(() =>
        {
            Assert.That(overCapacity.GetMeasurementSnapshot().EvaluateAsCounter(), Is.Zero, "2,850 sessions fit: no warning");
            Assert.That(Warnings(sut.Logger, 109), Is.Zero);
        });

        for (var i = 2850; i < 2950; i++)
        {
            _ = sut.Manager.GetOrCreate(UserId(i)).SetAsync(PresenceState.Available);
        }

        Assert.Multiple(() =>
        {
            Assert.That(overCapacity.GetMeasurementSnapshot().EvaluateAsCounter(), Is.EqualTo(1), "2,950 sessions are past 97% of what fits: one warning");
            Assert.That(Warnings(sut.Logger, 109), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task SetAsync_2800SessionsAndGrowingTransientFailures_WarnsOnceTheRetriesNoLongerFit()
    {
        // Finding 4: under failures the warning fires as well: retries add to the load (DemandRate = planned / (1 - failure ratio)).
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = 300 });
        using var overCapacity = new MetricCollector<long>(sut.Metrics.Meter, "presencekeepalive.rate_budget.over_capacity");
        sut.Protocol.RecordCalls = false;
        for (var i = 0; i < 2800; i++)
        {
            _ = sut.Manager.GetOrCreate(UserId(i)).SetAsync(PresenceState.Available);
        }

        sut.Time.Run(TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));
        Assert.Multiple(() =>
        {
            Assert.That(sut.Manager.Scheduler.FailureRatio, Is.Zero);
            Assert.That(Warnings(sut.Logger, 109), Is.Zero, "a clean service at 2,800 sessions: no warning");
        });

        // 10% of requests fail transiently: 2,800 sessions need 9.33/s / 0.9 = 10.4/s, more than 97% of the 10/s budget.
        var random = new Random(7);
        sut.Protocol.Handler = _ =>
        {
            bool fail;
            lock (random)
            {
                fail = random.NextDouble() < 0.10;
            }

            return fail ? Task.FromException(FakePresenceProtocol.Transient()) : Task.CompletedTask;
        };
        sut.Time.Run(TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));

        var threshold = 1 - (sut.Manager.PlannedRate / sut.Manager.CapacityRate);
        TestContext.Out.WriteLine($"failure ratio {sut.Manager.Scheduler.FailureRatio:0.000}, threshold {threshold:0.000}");
        Assert.Multiple(() =>
        {
            Assert.That(sut.Manager.Scheduler.FailureRatio, Is.GreaterThan(threshold), "the failure ratio grew past what the budget absorbs");
            Assert.That(Warnings(sut.Logger, 109), Is.EqualTo(1), "warned once");
            Assert.That(overCapacity.GetMeasurementSnapshot().EvaluateAsCounter(), Is.EqualTo(1));
        });
    }

    // ---------------------------------------------------------------- Finding 7

    [Test]
    public async Task SetAsync_AnotherUsersRefreshDueDuringTheCall_RunsWithoutTheCallersExecutionContextOrThread()
    {
        // Finding 7: other users' sends never run on the caller's thread or ExecutionContext: B's refresh, picked up by A's SetAsync, does not see A's caller's AsyncLocal.
        GatedTimeProvider? gated = null;
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false }, managerTime: t => gated = new GatedTimeProvider(t));
        var seen = new ConcurrentQueue<(string User, string? Ambient, bool OnCallersThread)>();
        sut.Protocol.Handler = c =>
        {
            seen.Enqueue((c.UserId, Ambient.Value, t_insideCallersSetAsync));
            return Task.CompletedTask;
        };
        const string a = "a@contoso.com";
        const string b = "b@contoso.com";
        await sut.Manager.GetOrCreate(b).SetAsync(PresenceState.Available).WaitAsync(TimeSpan.FromSeconds(10));
        sut.Time.Run(TimeSpan.FromSeconds(270));

        // b's refresh falls due at 4:35 while the scheduler's timer is held back: the next pump, A's SetAsync, finds it due.
        gated!.Paused = true;
        sut.Time.AdvanceAndSettle(TimeSpan.FromSeconds(10));
        Assert.That(sut.Protocol.CallsFor(b), Has.Count.EqualTo(1), "b's refresh waits for a pump");

        Task setA = null!;
        await Task.Run(() =>
        {
            Ambient.Value = "A's caller";
            t_insideCallersSetAsync = true;
            try
            {
                setA = sut.Manager.GetOrCreate(a).SetAsync(PresenceState.BusyInACall);
            }
            finally
            {
                t_insideCallersSetAsync = false;
            }
        });
        gated.Paused = false;
        await setA.WaitAsync(TimeSpan.FromSeconds(10));
        Clock.Settle();
        Assert.That(SpinWait.SpinUntil(() => sut.Protocol.CallsFor(b).Count == 2, TimeSpan.FromSeconds(10)), Is.True, "b's refresh was sent");

        var bRefresh = seen.Last(s => s.User == b);
        var aSet = seen.Single(s => s.User == a);
        Assert.Multiple(() =>
        {
            Assert.That(bRefresh.Ambient, Is.Null, "B's send saw A's caller's AsyncLocal");
            Assert.That(bRefresh.OnCallersThread, Is.False, "B's send ran inside A's SetAsync call");
            // A's own state change, which could go at once, is sent on A's thread in A's context (no hand-off out and
            // back): work for one user never runs on another caller's thread, but a caller's own may run on its own.
            Assert.That(aSet.Ambient, Is.EqualTo("A's caller"), "A's own send runs in its caller's context");
            Assert.That(aSet.OnCallersThread, Is.True, "A's own send runs inside A's SetAsync");
        });
    }

    [Test]
    public async Task SetAsync_GateHasAPlace_OwnSendRunsOnTheCallersThreadAndCompletesWithoutAHandOff()
    {
        // The caller's own state change, when nothing is queued ahead of it, is sent on its thread; a service that answers
        // at once completes the call before SetAsync returns (no thread-pool hand-off out and back).
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        var threads = new ConcurrentQueue<int>();
        sut.Protocol.Handler = _ =>
        {
            threads.Enqueue(Environment.CurrentManagedThreadId);
            return Task.CompletedTask;
        };

        var (task, caller) = await Task.Run(() => (sut.Manager.GetOrCreate("a@contoso.com").SetAsync(PresenceState.Available), Environment.CurrentManagedThreadId));

        Assert.Multiple(() =>
        {
            Assert.That(task.IsCompletedSuccessfully, Is.True, "completed before SetAsync returned");
            Assert.That(threads, Is.EqualTo(new[] { caller }), "sent on the caller's thread");
        });
    }

    [Test]
    public async Task SetAsync_CallerHasASynchronizationContext_OwnSendPostsNothingToIt()
    {
        // A caller on a UI-like thread that blocks on SetAsync must not deadlock: the send that runs on its thread does so
        // without its SynchronizationContext, so no continuation of the send is posted there.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        sut.Protocol.Handler = async _ => await Task.Yield();
        var context = new RecordingSynchronizationContext();

        var completed = await Task.Run(() =>
        {
            SynchronizationContext.SetSynchronizationContext(context);
            try
            {
                // Blocking here, as a UI thread calling .Wait() would; with a continuation posted to the context it would hang.
                return sut.Manager.GetOrCreate("a@contoso.com").SetAsync(PresenceState.Available).Wait(TimeSpan.FromSeconds(10));
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(null);
            }
        });

        Assert.Multiple(() =>
        {
            Assert.That(completed, Is.True, "SetAsync completed while its caller blocked");
            Assert.That(context.Posts, Is.Zero, "nothing was posted to the caller's context");
        });
    }

    [Test]
    public async Task SetAsync_GateHasNoPlace_OwnSendWaitsAndRunsOnAnEngineThreadWithoutTheCallersContext()
    {
        // When the caller's change must wait for the budget, it is not sent inside SetAsync: a later pump (the timer's)
        // sends it on an engine thread, and the caller's AsyncLocal values do not follow it there.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = 1, RateLimitWindow = TimeSpan.FromSeconds(10) });
        var seen = new ConcurrentQueue<(string User, string? Ambient, bool OnCallersThread)>();
        sut.Protocol.Handler = c =>
        {
            seen.Enqueue((c.UserId, Ambient.Value, t_insideCallersSetAsync));
            return Task.CompletedTask;
        };
        await sut.Manager.GetOrCreate("first@contoso.com").SetAsync(PresenceState.Available).WaitAsync(TimeSpan.FromSeconds(10));

        Task setA = null!;
        await Task.Run(() =>
        {
            Ambient.Value = "A's caller";
            t_insideCallersSetAsync = true;
            try
            {
                setA = sut.Manager.GetOrCreate("a@contoso.com").SetAsync(PresenceState.BusyInACall);
            }
            finally
            {
                t_insideCallersSetAsync = false;
            }
        });
        Assert.That(setA.IsCompleted, Is.False, "the budget had no place: the change waits");

        sut.Time.Run(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(1));
        await setA.WaitAsync(TimeSpan.FromSeconds(10));

        var aSet = seen.Single(x => x.User == "a@contoso.com");
        Assert.Multiple(() =>
        {
            Assert.That(aSet.Ambient, Is.Null, "a send that waited runs without its caller's context");
            Assert.That(aSet.OnCallersThread, Is.False);
        });
    }

    [Test]
    public async Task SignOffAll_ManySessions_SignOffsRunOnEngineThreadsNotTheCallers()
    {
        // The manager's sign-off of every session is not "the caller's own" change: its clears go out on engine threads.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        for (var i = 0; i < 5; i++)
        {
            await sut.Manager.GetOrCreate("u" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "@contoso.com").SetAsync(PresenceState.Available).WaitAsync(TimeSpan.FromSeconds(10));
        }

        var onCaller = new ConcurrentQueue<bool>();
        sut.Protocol.Handler = c =>
        {
            if (c.Operation == "clearPresence")
            {
                onCaller.Enqueue(t_insideCallersSetAsync);
            }

            return Task.CompletedTask;
        };

        Task<PresenceSignOffResult> signOff = null!;
        await Task.Run(() =>
        {
            t_insideCallersSetAsync = true;
            try
            {
                signOff = sut.Manager.SignOffAllAsync();
            }
            finally
            {
                t_insideCallersSetAsync = false;
            }
        });
        var result = await signOff.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(result.SignedOff, Has.Count.EqualTo(5));
            Assert.That(onCaller, Has.Count.EqualTo(5));
            Assert.That(onCaller, Has.All.False, "no sign-off ran inside the caller's call");
        });
    }

    [Test]
    public async Task SetAsync_CallerHasAnActivity_StateChangeSpanIsItsChildAndRefreshIsARoot()
    {
        // Finding 7: a state change's request span is a child of the SetAsync caller's Activity; a refresh's span is a root.
        using var source = new ActivitySource("PresenceKeepAlive.Tests.EngineFindings");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        var session = sut.Manager.GetOrCreate("a@contoso.com");

        ActivityContext callerContext;
        using (var caller = source.StartActivity("caller"))
        {
            Assert.That(caller, Is.Not.Null);
            callerContext = caller!.Context;
            await session.SetAsync(PresenceState.Available).WaitAsync(TimeSpan.FromSeconds(10));
        }

        Assert.That(Activity.Current, Is.Null);
        sut.Time.Run(TimeSpan.FromSeconds(280));

        var parents = sut.Protocol.Parents.ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(parents, Has.Length.EqualTo(2), "the set and one refresh");
            Assert.That(parents[0], Is.EqualTo(callerContext), "the state change's parent is the caller's span");
            Assert.That(parents[0].TraceId, Is.EqualTo(callerContext.TraceId));
            Assert.That(parents.Length > 1 ? parents[1] : callerContext, Is.EqualTo(default(ActivityContext)), "a refresh is a root span");
        });
    }

    // ---------------------------------------------------------------- Finding 8

    [Test]
    public async Task Refresh_HundredSessionsHangingAtTheDefaultConcurrency_HealthySessionsStayOnTime()
    {
        // Finding 8: no head-of-line blocking: 100 sends that never end do not hold up 10 healthy sessions' refreshes at the default MaxConcurrentRequests.
        var time = Clock.Create();
        var protocol = new FakePresenceProtocol(time);
        var options = new PresenceKeepAliveOptions { SignOffOnDispose = false };
        var metrics = new PresenceKeepAliveMetrics(null);
        await using var manager = PresenceSessionManager.Create(protocol, options, time, NullLogger.Instance, metrics, new Random(3));
        Assert.That(manager.Scheduler.MaxConcurrency, Is.EqualTo(3000), "default: rate x total timeout = 50/s x 60 s");

        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        protocol.Handler = c => c.UserId.StartsWith("hang", StringComparison.Ordinal) ? never.Task : Task.CompletedTask;
        var healthy = Enumerable.Range(0, 10).Select(i => "healthy" + i.ToString(CultureInfo.InvariantCulture) + "@contoso.com").ToArray();
        var sets = healthy.Select(u => manager.GetOrCreate(u).SetAsync(PresenceState.Available)).ToList();
        for (var i = 0; i < 100; i++)
        {
            _ = manager.GetOrCreate("hang" + i.ToString(CultureInfo.InvariantCulture) + "@contoso.com").SetAsync(PresenceState.Available);
        }

        time.Run(TimeSpan.FromMinutes(20), TimeSpan.FromMilliseconds(500));
        await Task.WhenAll(sets).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(manager.Scheduler.InFlight, Is.EqualTo(100), "the hanging sends are still in flight");
            foreach (var user in healthy)
            {
                var accepted = protocol.Accepted.Where(c => c.UserId == user).Select(c => c.At).ToArray();
                Assert.That(accepted, Has.Length.EqualTo(5), $"{user}: set + 4 refreshes in 20 minutes");
                for (var k = 1; k < accepted.Length; k++)
                {
                    Assert.That(accepted[k] - accepted[k - 1], Is.EqualTo(TimeSpan.FromSeconds(275)).Within(TimeSpan.FromSeconds(1)), $"{user}: gap {k}");
                }

                Assert.That(manager.GetOrCreate(user).Status, Is.EqualTo(PresenceSessionStatus.Active));
            }
        });

        metrics.Meter.Dispose();
    }

    [Test]
    public void MaxConcurrency_Defaults_IsTheRateTimesTheTotalRequestTimeout()
    {
        // Finding 8: the default bound on sends in flight is rate x TotalRequestTimeout, so hanging sends cannot use up the slots.
        Assert.Multiple(() =>
        {
            Assert.That(new KeepAliveSettings(new PresenceKeepAliveOptions()).MaxConcurrency, Is.EqualTo(3000));
            Assert.That(new KeepAliveSettings(new PresenceKeepAliveOptions { RateLimitPerWindow = 300, TotalRequestTimeout = TimeSpan.FromSeconds(30) }).MaxConcurrency, Is.EqualTo(300));
            Assert.That(new KeepAliveSettings(new PresenceKeepAliveOptions { MaxConcurrentRequests = 64 }).MaxConcurrency, Is.EqualTo(64), "an explicit bound is kept");
        });
    }

    // ---------------------------------------------------------------- Finding 9

    [Test]
    public async Task StatusChanged_ManyTransitionsFromSeveralThreads_ArriveInOrderWithConsecutiveSequenceNumbers()
    {
        // Finding 9: status events arrive in order: Sequence 1, 2, 3 ... without gaps, and a mirror of e.Status ends equal to session.Status.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        var random = new Random(11);
        sut.Protocol.Handler = _ =>
        {
            bool fail;
            lock (random)
            {
                fail = random.Next(2) == 0;
            }

            return fail ? Task.FromException(FakePresenceProtocol.Transient()) : Task.CompletedTask;
        };
        var session = sut.Manager.GetOrCreate("a@contoso.com");
        var events = new List<PresenceSessionStatusChangedEventArgs>();
        var mirror = PresenceSessionStatus.NotStarted;
        session.StatusChanged += (_, e) =>
        {
            lock (events)
            {
                events.Add(e);
                mirror = e.Status;
            }
        };

        PresenceState[] states = [PresenceState.Available, PresenceState.Away, PresenceState.BusyInACall];
        for (var round = 0; round < 40; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 3).Select(t => Task.Run(() =>
            {
                for (var k = 0; k < 2; k++)
                {
                    var set = session.SetAsync(states[(round + t + k) % states.Length]);
                    _ = set.ContinueWith(x => _ = x.Exception, TaskScheduler.Default);
                }
            })));
            sut.Time.Run(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(500));
        }

        sut.Protocol.Handler = null;
        sut.Time.Run(TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(500));
        Assert.That(SpinWait.SpinUntil(() => { lock (events) { return mirror == session.Status && !((PresenceSession)session).IsSending; } }, TimeSpan.FromSeconds(10)), Is.True);

        PresenceSessionStatusChangedEventArgs[] seen;
        lock (events)
        {
            seen = events.ToArray();
        }

        Assert.Multiple(() =>
        {
            Assert.That(seen, Has.Length.GreaterThan(20), "many transitions");
            Assert.That(seen.Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(1, seen.Length).Select(i => (long)i)), "consecutive sequence numbers in delivery order");
            for (var i = 1; i < seen.Length; i++)
            {
                Assert.That(seen[i].PreviousStatus, Is.EqualTo(seen[i - 1].Status), $"event {i + 1} follows event {i}");
            }

            Assert.That(mirror, Is.EqualTo(session.Status));
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
        });
    }

    // ---------------------------------------------------------------- Finding 10

    [Test]
    public async Task SetAsync_PatchProtocolOffline_SignsOffOnceAndIsNeverRefreshed()
    {
        // Finding 10: under the seed's PATCH protocol, SetAsync(Offline) is the sign-off, not a state to keep alive.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, Protocol = PresenceProtocol.Patch });
        var session = sut.Manager.GetOrCreate("a@contoso.com");
        await session.SetAsync(PresenceState.Available).WaitAsync(TimeSpan.FromSeconds(10));

        await session.SetAsync(PresenceState.Offline).WaitAsync(TimeSpan.FromSeconds(10));
        sut.Time.Run(TimeSpan.FromMinutes(20));

        var afterSet = sut.Protocol.Calls.Skip(1).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(afterSet.Select(c => c.Operation), Is.EqualTo(new[] { "clearPresence" }), "one sign-off (PATCH Offline), no refresh in 20 minutes");
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Cleared));
            Assert.That(session.DesiredState, Is.Null);
            Assert.That(session.NextRefreshAt, Is.Null);
            Assert.That(sut.Protocol.CurrentState("a@contoso.com"), Is.Null);
        });
    }

    // ---------------------------------------------------------------- Finding 11

    [Test]
    public async Task Refresh_MachineSleptAnHour_CatchesUpRefreshesAtOnceAndCountsTheLapse()
    {
        // Finding 11: after a suspend (wall clock an hour ahead of the monotonic clock) the engine catches up within 30 s, refreshes at once and counts the lapse.
        SteppingTimeProvider? stepping = null;
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false }, managerTime: t => stepping = new SteppingTimeProvider(t));
        using var lapses = new MetricCollector<long>(sut.Metrics.Meter, "presencekeepalive.sessions.lapses");
        var session = sut.Manager.GetOrCreate("a@contoso.com");
        await session.SetAsync(PresenceState.Available).WaitAsync(TimeSpan.FromSeconds(10));
        sut.Time.Run(TimeSpan.FromSeconds(60));
        Assert.That(sut.Protocol.Calls, Has.Count.EqualTo(1));

        var resumedAt = sut.Time.GetUtcNow();
        stepping!.StepWallClock(TimeSpan.FromHours(1));
        sut.Time.Run(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));

        var calls = sut.Protocol.Calls;
        Assert.Multiple(() =>
        {
            Assert.That(sut.Logger.Collector.GetSnapshot().Count(r => r.Id.Id == 120), Is.EqualTo(1), "caught up once (event 120)");
            Assert.That(calls, Has.Count.EqualTo(2), "refreshed at once after the resume");
            Assert.That(calls.Count > 1 ? calls[1].At - resumedAt : TimeSpan.MaxValue, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(lapses.GetMeasurementSnapshot().EvaluateAsCounter(), Is.EqualTo(1), "the sleep lapsed the session once");
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
        });
    }

    // ---------------------------------------------------------------- Finding 12

    [Test]
    public async Task Refresh_TenMinuteOutageAt200Sessions_BacksOffShowsLapsedAndLandsAStateChangeWithinOneProbe()
    {
        // Finding 12: in an outage the fleet backs off (event 117), sessions past their deadline show Lapsed without a send of their own,
        // few requests are spent, and a state change made during the outage lands within one probe interval after it ends.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        var outage = false;
        sut.Protocol.Handler = _ => Volatile.Read(ref outage) ? Task.FromException(FakePresenceProtocol.Transient()) : Task.CompletedTask;
        var sessions = Enumerable.Range(0, 200).Select(i => sut.Manager.GetOrCreate(UserId(i))).ToArray();
        var sets = sessions.Select(s => s.SetAsync(PresenceState.Available)).ToList();
        sut.Time.Run(TimeSpan.FromSeconds(270), TimeSpan.FromMilliseconds(500));
        await Task.WhenAll(sets).WaitAsync(TimeSpan.FromSeconds(10));

        var outageStart = sut.Time.GetUtcNow();
        Volatile.Write(ref outage, true);
        sut.Time.Run(TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500));

        // Every deadline (5:00 after acceptance) has passed: each session says so, whether or not its own send went.
        var statuses = sessions.GroupBy(s => s.Status).ToDictionary(g => g.Key, g => g.Count());
        Assert.Multiple(() =>
        {
            Assert.That(sut.Logger.Collector.GetSnapshot().Count(r => r.Id.Id == 117), Is.EqualTo(1), "the fleet backs off once");
            Assert.That(sut.Manager.Scheduler.BackingOff, Is.True);
            Assert.That(statuses.GetValueOrDefault(PresenceSessionStatus.Lapsed), Is.EqualTo(200), "statuses: " + string.Join(", ", statuses));
        });

        // A state change made during the outage.
        sut.Time.Run(TimeSpan.FromSeconds(270), TimeSpan.FromMilliseconds(500));
        var changed = sessions[123];
        _ = changed.SetAsync(PresenceState.BusyInACall).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        sut.Time.Run(outageStart + TimeSpan.FromMinutes(10) - sut.Time.GetUtcNow(), TimeSpan.FromMilliseconds(500));

        var outageEnd = sut.Time.GetUtcNow();
        Volatile.Write(ref outage, false);
        var duringOutage = sut.Protocol.Calls.Count(c => c.At >= outageStart && c.At < outageEnd);
        sut.Time.Run(TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500));

        // Before the backoff: at most one failing send per session. Then one probe at a time, at 2, 4, 8, 16 and then
        // every 30 s: at most 4 + (600 - 30) / 30 + 1 = 24 probes in 10 minutes. Retrying every session every 2-30 s
        // would have cost 200 x ~20 = 4,000 requests.
        const int bound = 200 + 24;
        TestContext.Out.WriteLine($"requests during the outage: {duringOutage}");
        var landed = sut.Protocol.Accepted.FirstOrDefault(c => c.UserId == changed.UserId && c.State == PresenceState.BusyInACall);
        Assert.Multiple(() =>
        {
            Assert.That(duringOutage, Is.LessThanOrEqualTo(bound), "requests during the 10-minute outage");
            Assert.That(landed, Is.Not.Null, "the state change landed");
            Assert.That(landed is null ? TimeSpan.MaxValue : landed.At - outageEnd, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(35)), "within one probe interval (30 s) and a few seconds");
            Assert.That(sessions.Count(s => s.Status == PresenceSessionStatus.Active), Is.EqualTo(200), "everyone re-established");
            Assert.That(sut.Protocol.CurrentState(changed.UserId), Is.EqualTo(PresenceState.BusyInACall));
        });
    }

    [Test]
    public async Task Refresh_TenthOfTheUsersAlwaysFailing_TheOthersStayOnTimeAndAnyBackoffEndsAtOnce()
    {
        // Finding 12 (and 8): a tenth of the users whose requests all fail must not hold the others to one probe at a
        // time. Only first failures (of sessions accepted before) count towards the fleet backoff, and while it lasts a
        // healthy session's refresh is probed at the base interval: so the 30 failing first sets at the start may start
        // a backoff, but the first healthy send ends it and no healthy refresh is ever late.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        sut.Protocol.Handler = c => c.UserId.StartsWith("bad", StringComparison.Ordinal) ? Task.FromException(FakePresenceProtocol.Transient()) : Task.CompletedTask;
        var bad = Enumerable.Range(0, 30).Select(i => sut.Manager.GetOrCreate("bad" + UserId(i))).ToList();
        var good = Enumerable.Range(0, 300).Select(i => sut.Manager.GetOrCreate(UserId(i))).ToList();
        var first = bad.Select(b => b.SetAsync(PresenceState.Available)).ToList();
        var sets = good.Select(g => g.SetAsync(PresenceState.Available)).ToList();

        // The gate paces the 330 first sets at 50 a second on the fake clock.
        sut.Time.Run(TimeSpan.FromMinutes(20), TimeSpan.FromSeconds(0.5));
        await Task.WhenAll(sets).WaitAsync(TimeSpan.FromSeconds(10));

        var gaps = good
            .Select(g => sut.Protocol.CallsFor(g.UserId))
            .SelectMany(calls => calls.Zip(calls.Skip(1), (a, b) => b.At - a.At))
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(first.Select(t => t.IsFaulted), Is.All.True, "the bad users' first sets failed");
            Assert.That(Warnings(sut.Logger, 117), Is.LessThanOrEqualTo(1), "at most the start-up backoff");
            Assert.That(Warnings(sut.Logger, 118), Is.EqualTo(Warnings(sut.Logger, 117)), "each backoff ended by an accepted send");
            Assert.That(gaps, Has.Count.GreaterThan(300 * 3));
            // On time, or (while the start-up backoff lasts) within one base probe interval of 2 s: far inside the margin.
            Assert.That(gaps.Max(), Is.LessThanOrEqualTo(TimeSpan.FromSeconds(275 + 2 + 0.5)), "every healthy refresh on time");
            Assert.That(good.Select(g => g.Status), Is.All.EqualTo(PresenceSessionStatus.Active));
            Assert.That(bad.Select(b => b.Status), Is.All.EqualTo(PresenceSessionStatus.Lapsed));
        });
    }

    // ---------------------------------------------------------------- Finding 15

    [Test]
    public async Task SetAsync_LoggerThrowsOnEveryCall_CompletesAndRefreshesGoOn()
    {
        // Finding 15: a log provider that throws can neither leave SetAsync hanging nor stop the scheduler.
        var time = Clock.Create();
        var protocol = new FakePresenceProtocol(time);
        var metrics = new PresenceKeepAliveMetrics(null);
        await using var manager = PresenceSessionManager.Create(protocol, new PresenceKeepAliveOptions { SignOffOnDispose = false }, time, new ThrowingLogger(), metrics, new Random(5));

        // The first refresh fails (a warning or debug log), later ones succeed.
        protocol.Handler = c => protocol.CallsFor(c.UserId).Count == 2 ? Task.FromException(FakePresenceProtocol.Transient()) : Task.CompletedTask;
        var session = manager.GetOrCreate("a@contoso.com");
        await session.SetAsync(PresenceState.Available).WaitAsync(TimeSpan.FromSeconds(10));
        time.Run(TimeSpan.FromMinutes(15));
        await session.SetAsync(PresenceState.Away).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(protocol.Calls, Has.Count.GreaterThanOrEqualTo(5), "set, failed refresh, retry, refreshes, set");
            Assert.That(protocol.CurrentState("a@contoso.com"), Is.EqualTo(PresenceState.Away));
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(protocol.LapseCount, Is.Zero);
        });

        metrics.Meter.Dispose();
    }

    [Test]
    public async Task Refresh_MeterListenerCallbackThrows_RefreshesGoOn()
    {
        // Finding 15: a MeterListener whose measurement callback throws cannot stop the scheduler.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = 2, RateLimitWindow = TimeSpan.FromSeconds(10) });
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, sut.Metrics.Meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        var thrown = 0;
        listener.SetMeasurementEventCallback<long>((_, _, _, _) =>
        {
            Interlocked.Increment(ref thrown);
            throw new InvalidOperationException("listener failure");
        });
        listener.SetMeasurementEventCallback<double>((_, _, _, _) =>
        {
            Interlocked.Increment(ref thrown);
            throw new InvalidOperationException("listener failure");
        });
        listener.Start();

        // Five sessions on 2 per 10 s: sends wait for the budget (the waits counter), and the first refresh of each fails once.
        sut.Protocol.Handler = c => sut.Protocol.CallsFor(c.UserId).Count == 2 ? Task.FromException(FakePresenceProtocol.Transient()) : Task.CompletedTask;
        var sessions = Enumerable.Range(0, 5).Select(i => sut.Manager.GetOrCreate(UserId(i))).ToArray();
        var sets = sessions.Select(s => s.SetAsync(PresenceState.Available)).ToList();
        sut.Time.Run(TimeSpan.FromMinutes(15), TimeSpan.FromMilliseconds(500));
        await Task.WhenAll(sets).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(thrown, Is.GreaterThan(0), "the listener did throw");
            foreach (var s in sessions)
            {
                Assert.That(sut.Protocol.CallsFor(s.UserId), Has.Count.GreaterThanOrEqualTo(4), $"{s.UserId}: set, failed refresh, retry, refreshes");
                Assert.That(s.Status, Is.EqualTo(PresenceSessionStatus.Active));
            }
        });
    }

    [Test]
    public async Task StatusChanged_HandlerThrows_LaterTransitionsAndEventsStillHappen()
    {
        // Finding 15: a StatusChanged handler that throws cannot stop later transitions or later events.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        sut.Protocol.Handler = c => sut.Protocol.CallsFor(c.UserId).Count == 2 ? Task.FromException(FakePresenceProtocol.Transient()) : Task.CompletedTask;
        var session = sut.Manager.GetOrCreate("a@contoso.com");
        var seen = new ConcurrentQueue<PresenceSessionStatusChangedEventArgs>();
        var thrown = 0;
        session.StatusChanged += (_, _) =>
        {
            Interlocked.Increment(ref thrown);
            throw new InvalidOperationException("handler failure");
        };
        sut.Manager.StatusChanged += (_, e) => seen.Enqueue(e);

        await session.SetAsync(PresenceState.Available).WaitAsync(TimeSpan.FromSeconds(10));
        sut.Time.Run(TimeSpan.FromMinutes(10));
        await session.ClearAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(SpinWait.SpinUntil(() => seen.LastOrDefault()?.Status == PresenceSessionStatus.Cleared, TimeSpan.FromSeconds(10)), Is.True, "the last event arrived");

        var statuses = seen.Select(e => e.Status).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { PresenceSessionStatus.Active, PresenceSessionStatus.Retrying, PresenceSessionStatus.Active, PresenceSessionStatus.Cleared }));
            Assert.That(thrown, Is.EqualTo(statuses.Length), "the throwing handler was called for every event");
            Assert.That(sut.Protocol.Calls.Count(c => c.Operation == "setPresence"), Is.GreaterThanOrEqualTo(4), "refreshes went on");
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Cleared));
        });
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task StopThenDispose_HostShutdownWithSignOffOnStopAndOnDispose_SignsEachSessionOffOnce(bool graphFailsSignOff)
    {
        // Finding 15: host shutdown signs each session off once: SignOffOnStop, then the manager's DisposeAsync (SignOffOnDispose), sends one clearPresence per user, not two.
        using var graph = new RecordingGraphHandler();
        using var logs = new FakeLoggerProvider();
        graph.Responder = r => r.Operation == "clearPresence" && graphFailsSignOff
            ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
            : new HttpResponseMessage(HttpStatusCode.OK);
        var users = new[] { "adele@contoso.com", "megan@contoso.com", "0f8fad5b-d9cb-469f-a165-70867728950e" };
        var settings = new Dictionary<string, string?>
        {
            ["PresenceKeepAlive:TenantId"] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            ["PresenceKeepAlive:ClientId"] = "11111111-2222-3333-4444-555555555555",
            ["PresenceKeepAlive:ClientSecret"] = "unused-because-a-credential-is-registered",
            ["PresenceKeepAlive:SignOffOnStop"] = "true",
            ["PresenceKeepAlive:SignOffOnDispose"] = "true",
            ["PresenceKeepAlive:MaxRetryAttempts"] = "0",
        };
        for (var i = 0; i < users.Length; i++)
        {
            settings[$"PresenceKeepAlive:Sessions:{i}:UserId"] = users[i];
            settings[$"PresenceKeepAlive:Sessions:{i}:Availability"] = "Available";
            settings[$"PresenceKeepAlive:Sessions:{i}:Activity"] = "Available";
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(Clock.Start));
        builder.Services.AddPresenceSession(builder.Configuration.GetSection("PresenceKeepAlive"))
            .HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => graph);
        builder.Services.PostConfigure<PresenceKeepAliveOptions>(o => o.Credential = new FixedTokenCredential("test-token"));
        var host = builder.Build();

        await host.StartAsync();
        await graph.WaitForRequestsAsync(3);
        using (var stopLimit = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            await host.StopAsync(stopLimit.Token);
        }

        await ((IAsyncDisposable)host).DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));

        var clears = graph.Requests.Where(r => r.Operation == "clearPresence").GroupBy(r => r.UserSegment!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
        var records = logs.Collector.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(clears.Keys, Is.EquivalentTo(users));
            Assert.That(clears.Values, Is.All.EqualTo(1), "clearPresence requests per user: " + string.Join(", ", clears));
            Assert.That(records.Where(r => r.Id.Id == 114), Is.Empty, "no second sign-off on dispose to fail");
            Assert.That(records.Where(r => (r.Exception?.ToString() ?? r.Message).Contains("disposed object", StringComparison.OrdinalIgnoreCase)), Is.Empty, "no disposed-provider errors after stop");
        });
    }

    // ---------------------------------------------------------------- helpers

    private static string UserId(int i) => "user" + i.ToString(CultureInfo.InvariantCulture) + "@contoso.com";

    private static int Warnings(FakeLogger logger, int eventId) => logger.Collector.GetSnapshot().Count(r => r.Id.Id == eventId);

    private static int MaxInClosedWindow(IEnumerable<long> ticks, TimeSpan window) => ClosedWindows.Max(ticks, window);

    /// <summary>A work item that takes its place in the gate and records that it ran.</summary>
    private sealed class RecordingWork(string name, List<string> sent) : IScheduledWork
    {
        public long ScheduleToken => 1;

        public Task RunAsync(long token, WorkPriority priority, SendTicket ticket, CancellationToken cancellationToken)
        {
            Assert.That(ticket.TryEnterAttempt(), Is.True, "a dispatched send has its place");
            lock (sent)
            {
                sent.Add(name);
            }

            return Task.CompletedTask;
        }

        public void OnDeadlinePassed(long token)
        {
        }
    }

    /// <summary>A synchronization context that counts what is posted to it and runs nothing (as a blocked UI thread would).</summary>
    private sealed class RecordingSynchronizationContext : SynchronizationContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        public override void Post(SendOrPostCallback d, object? state) => Interlocked.Increment(ref _posts);

        public override void Send(SendOrPostCallback d, object? state) => Interlocked.Increment(ref _posts);
    }

    /// <summary>The fake clock, whose timers can be held back (their callbacks dropped) to let a test choose who pumps next.</summary>
    private sealed class GatedTimeProvider(FakeTimeProvider inner) : TimeProvider
    {
        private volatile bool _paused;

        public bool Paused
        {
            get => _paused;
            set => _paused = value;
        }

        public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            inner.CreateTimer(s => { if (!_paused) { callback(s); } }, state, dueTime, period);
    }

    /// <summary>A logger that is enabled for everything and throws on every entry.</summary>
    private sealed class ThrowingLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => throw new InvalidOperationException("log provider failure");

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            throw new InvalidOperationException("log provider failure");
    }
}
