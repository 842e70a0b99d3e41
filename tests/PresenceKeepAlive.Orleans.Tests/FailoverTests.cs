using System.Collections.Concurrent;
using System.Diagnostics;
using Orleans.TestingHost;
using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.Orleans.Client;
using PresenceKeepAlive.Orleans.Silo;
using PresenceKeepAlive.Orleans.Tests.Infrastructure;

namespace PresenceKeepAlive.Orleans.Tests;

#if NET10_0_OR_GREATER
// This fixture takes three and a half minutes of real time (a real cluster watched across refresh periods and
// timeouts), so it runs on net10.0 only; on net8.0 the package's build is covered by the shorter cluster tests.

/// <summary>
/// The distributed mode's promises on a real three-silo cluster against the emulator over loopback (time 5 times faster
/// than Graph's: see <see cref="PresenceCluster"/>): 3,000 sessions; a silo killed, one stopped gracefully, one joining.
/// The tests run in order on one cluster.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FailoverTests
{
    private const int SessionCount = 3000;
    private const int BusyCount = 100;
    private const int InFlightCount = 20;

    private PresenceCluster _cluster = null!;
    private readonly ConcurrentQueue<ClusterEvent> _events = new();

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _cluster = await PresenceCluster.StartAsync(silos: 3);
        foreach (var silo in _cluster.Cluster.Silos)
        {
            PresenceCluster.DiagnosticsOf(silo).Event += _events.Enqueue;
        }
    }

    [TearDown]
    public void PrintLogOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed || Environment.GetEnvironmentVariable("PRESENCE_CLUSTER_LOG") == "1")
        {
            var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"cluster-log-{TestContext.CurrentContext.Test.MethodName}.txt");
            File.WriteAllLines(file, _cluster.Log.Lines);
            TestContext.Progress.WriteLine($"The silos' log: {file}");
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _cluster.DisposeAsync();

    [Test]
    public async Task Sessions_SetThroughTheClient_AreActiveOnEverySilo()
    {
        var manager = _cluster.Manager;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, SessionCount), new ParallelOptions { MaxDegreeOfParallelism = 100 }, async (i, ct) =>
            await manager.GetOrCreate(PresenceCluster.User(i)).SetAsync(PresenceState.Available, ct));
        TestContext.Progress.WriteLine($"{SessionCount} sessions set in {clock.Elapsed.TotalSeconds:0.0} s (the silos' budgets open {BudgetShare().GrowDelay.TotalSeconds:0} s after they start)");

        var holders = await HoldersAsync();
        Assert.Multiple(() =>
        {
            Assert.That(manager.Count, Is.EqualTo(SessionCount));
            Assert.That(Enumerable.Range(0, SessionCount).Count(i => Describe(_cluster.Emulator.GetPresence(PresenceCluster.User(i))) != "Available/Available"), Is.Zero, "users not Available at the emulator");
            Assert.That(manager.Sessions.Count(s => s.Status != PresenceSessionStatus.Active), Is.Zero, "sessions not Active");
            foreach (var silo in _cluster.Cluster.Silos)
            {
                Assert.That(holders.Count(h => h.Value == silo.SiloAddress.ToString()), Is.GreaterThan(SessionCount / 10), $"sessions held by {silo.SiloAddress}");
            }
        });
    }

    [Test]
    [DependsOnTest(nameof(Sessions_SetThroughTheClient_AreActiveOnEverySilo))]
    public async Task KillSilo_ItsSessionsAreRefreshedElsewhereWithinOnePeriod_NoLapseNoLostState_WithinBudget()
    {
        var manager = _cluster.Manager;

        // Into steady state: every session refreshed at least once on its grid.
        await Task.Delay(PresenceCluster.RefreshPeriod);
        var holders = await HoldersAsync();
        var victim = _cluster.Cluster.Silos[1];
        var victimUsers = holders.Where(h => h.Value == victim.SiloAddress.ToString()).Select(h => h.Key).ToList();
        Assert.That(victimUsers, Has.Count.GreaterThan(BusyCount + InFlightCount), "the victim holds enough sessions");

        // A state change acknowledged just before the kill, and some still on their way when it happens.
        var busy = victimUsers.Take(BusyCount).ToList();
        await Task.WhenAll(busy.Select(u => manager.GetOrCreate(u).SetAsync(PresenceState.BusyInACall)));
        var inFlightUsers = victimUsers.Skip(BusyCount).Take(InFlightCount).ToList();
        var inFlight = inFlightUsers.Select(u => manager.GetOrCreate(u).SetAsync(PresenceState.BusyInAConferenceCall)).ToList();

        var killedAt = DateTimeOffset.UtcNow;
        var emulatorKilledAt = _cluster.Emulator.EmulatedNow;
        await _cluster.Cluster.KillSiloAsync(victim);
        TestContext.Progress.WriteLine($"KillSiloAsync returned after {(DateTimeOffset.UtcNow - killedAt).TotalSeconds:0.00} s");

        // When each of the victim's sessions was first refreshed by another silo (the victim is dead: any later write is
        // another's), watched from the kill on, while the calls in flight at the kill finish.
        var watching = FirstWritesAfterAsync(victimUsers, emulatorKilledAt, PresenceCluster.RefreshPeriod + TimeSpan.FromSeconds(10));
        var acknowledged = new List<string>();
        for (var i = 0; i < inFlight.Count; i++)
        {
            try
            {
                await inFlight[i];
                acknowledged.Add(inFlightUsers[i]);
            }
            catch (Exception ex)
            {
                TestContext.Progress.WriteLine($"in flight at the kill, not acknowledged: {inFlightUsers[i]}: {ex.GetType().Name}");
            }
        }

        TestContext.Progress.WriteLine($"in-flight sets done after {(DateTimeOffset.UtcNow - killedAt).TotalSeconds:0.00} s");

        var refreshedAt = await watching;
        // Available sessions must be refreshed within one period; the Busy ones just set live for their 5-minute lease, and
        // are refreshed a margin before it ends (checked below from their snapshots).
        var available = victimUsers.Except(busy).Except(inFlightUsers).ToList();
        var late = available.Where(u => !refreshedAt.ContainsKey(u) || refreshedAt[u] - emulatorKilledAt > PresenceCluster.RefreshPeriod).ToList();
        var busySnapshots = new List<(string User, string? Silo, PresenceSessionStatus Status, DateTimeOffset? Next, DateTimeOffset? Confirmed)>();
        foreach (var user in busy.Concat(acknowledged))
        {
            var session = (ClusterPresenceSession)manager.GetOrCreate(user);
            await session.RefreshAsync();
            busySnapshots.Add((user, session.Silo, session.Status, session.NextRefreshAt, session.LastConfirmedAt));
        }

        var busyNotKept = busySnapshots
            .Where(b => b.Silo == victim.SiloAddress.ToString() || b.Status != PresenceSessionStatus.Active || b.Next is null || b.Confirmed is null || b.Next > b.Confirmed + TimeSpan.FromMinutes(5) - PresenceCluster.RefreshMargin)
            .Select(b => $"{b.User}: {b.Status} on {b.Silo}, next {b.Next:O}, confirmed {b.Confirmed:O}")
            .ToList();
        var detected = _events.Where(e => e.Kind == ClusterEventKind.SiloLeaving && e.Silo == victim.SiloAddress.ToString()).Select(e => e.At).DefaultIfEmpty().Min();
        TestContext.Progress.WriteLine(
            $"kill: {victimUsers.Count} sessions ({available.Count} Available) on {victim.SiloAddress}; detected after {(detected - killedAt).TotalSeconds:0.00} s; " +
            $"first refreshed elsewhere after {(refreshedAt.Values.DefaultIfEmpty().Min() - emulatorKilledAt).TotalSeconds:0.00} s, " +
            $"last after {(refreshedAt.Values.DefaultIfEmpty().Max() - emulatorKilledAt).TotalSeconds:0.00} s (refresh period {PresenceCluster.RefreshPeriod.TotalSeconds:0} s); " +
            $"{acknowledged.Count}/{InFlightCount} in-flight sets acknowledged");

        // Until every session has passed one more deadline since the kill: a lapse would have shown.
        var untilDeadline = PresenceCluster.SessionTimeout - (DateTimeOffset.UtcNow - killedAt) + TimeSpan.FromSeconds(2);
        if (untilDeadline > TimeSpan.Zero)
        {
            await Task.Delay(untilDeadline);
        }

        var (maxInWindow, _) = _cluster.Attempts.MaxInAnyWindow(PresenceCluster.Window);
        Assert.Multiple(() =>
        {
            Assert.That(late, Is.Empty, "Available sessions of the killed silo not refreshed elsewhere within one refresh period");
            Assert.That(busyNotKept, Is.Empty, "Busy sessions of the killed silo not kept elsewhere with a refresh before their lease ends");
            Assert.That(Faded(), Is.Empty, "users whose presence faded or ended (lapses)");
            Assert.That(busy.Where(u => Describe(_cluster.Emulator.GetPresence(u)) != "Busy/InACall"), Is.Empty, "acknowledged sets lost");
            Assert.That(acknowledged.Where(u => Describe(_cluster.Emulator.GetPresence(u)) != "Busy/InAConferenceCall"), Is.Empty, "acknowledged in-flight sets lost");
            Assert.That(maxInWindow, Is.LessThanOrEqualTo(PresenceCluster.Budget), "attempts of the cluster in one closed window");
            Assert.That(_cluster.Emulator.Counters.ThrottledRequests, Is.Zero, "429s");
            Assert.That(_cluster.Emulator.Counters.GetCount(EmulatorOperation.ClearPresence), Is.Zero, "sign-offs");
        });
    }

    [Test]
    [DependsOnTest(nameof(KillSilo_ItsSessionsAreRefreshedElsewhereWithinOnePeriod_NoLapseNoLostState_WithinBudget))]
    public async Task StopSilo_Gracefully_HandsItsSessionsOverAndSignsNobodyOff()
    {
        var holders = await HoldersAsync();
        var leaving = _cluster.Cluster.Silos[^1];
        var handedOver = holders.Where(h => h.Value == leaving.SiloAddress.ToString()).Select(h => h.Key)
            .Where(u => Describe(_cluster.Emulator.GetPresence(u)) == "Available/Available").ToList();
        Assert.That(handedOver, Is.Not.Empty, "the silo that stops holds Available sessions");
        var clearsBefore = _cluster.Emulator.Counters.GetCount(EmulatorOperation.ClearPresence);

        var stoppedAt = DateTimeOffset.UtcNow;
        var emulatorStoppedAt = _cluster.Emulator.EmulatedNow;
        await _cluster.Cluster.StopSiloAsync(leaving);
        var refreshedAt = await FirstWritesAfterAsync(handedOver, emulatorStoppedAt, PresenceCluster.RefreshPeriod + TimeSpan.FromSeconds(10));
        TestContext.Progress.WriteLine(
            $"graceful stop: {handedOver.Count} Available sessions on {leaving.SiloAddress}; stop took {(DateTimeOffset.UtcNow - stoppedAt).TotalSeconds:0.00} s to return; " +
            $"last refreshed elsewhere after {(refreshedAt.Values.DefaultIfEmpty().Max() - emulatorStoppedAt).TotalSeconds:0.00} s");
        var untilDeadline = PresenceCluster.SessionTimeout - (DateTimeOffset.UtcNow - stoppedAt) + TimeSpan.FromSeconds(2);
        if (untilDeadline > TimeSpan.Zero)
        {
            await Task.Delay(untilDeadline);
        }

        var after = await HoldersAsync();
        Assert.Multiple(() =>
        {
            Assert.That(_cluster.Emulator.Counters.GetCount(EmulatorOperation.ClearPresence), Is.EqualTo(clearsBefore), "sign-offs sent while a silo stopped");
            Assert.That(handedOver.Where(u => !refreshedAt.ContainsKey(u) || refreshedAt[u] - emulatorStoppedAt > PresenceCluster.RefreshPeriod), Is.Empty, "sessions not refreshed elsewhere within one refresh period");
            Assert.That(Faded(), Is.Empty, "users whose presence faded or ended (lapses)");
            Assert.That(after.Values.Where(s => s == leaving.SiloAddress.ToString()), Is.Empty, "sessions still on the stopped silo");
            Assert.That(_cluster.Attempts.MaxInAnyWindow(PresenceCluster.Window).Count, Is.LessThanOrEqualTo(PresenceCluster.Budget), "attempts of the cluster in one closed window");
            Assert.That(_cluster.Emulator.Counters.ThrottledRequests, Is.Zero, "429s");
        });
    }

    [Test]
    [DependsOnTest(nameof(StopSilo_Gracefully_HandsItsSessionsOverAndSignsNobodyOff))]
    public async Task SiloJoining_TakesItsShareWithoutABurst()
    {
        var old = _cluster.Cluster.Silos.ToList();
        var joinedAt = AttemptRecorder.Now;
        var joiner = await _cluster.Cluster.StartAdditionalSiloAsync();
        var shareOpenedAt = 0L;
        var settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (Interlocked.Read(ref shareOpenedAt) != 0 && old.All(s => PresenceCluster.DivisorOf(s) == old.Count + 1))
            {
                settled.TrySetResult();
            }
        }

        // The joiner's share opening, and the others shrinking, as their agents report them.
        Action<ClusterEvent> onJoiner = e =>
        {
            if (e.Kind == ClusterEventKind.BudgetShareChanged && e.Count > 0)
            {
                Interlocked.CompareExchange(ref shareOpenedAt, AttemptRecorder.Now, 0);
            }

            Check();
        };
        Action<ClusterEvent> onOld = _ => Check();
        PresenceCluster.DiagnosticsOf(joiner).Event += onJoiner;
        old.ForEach(s => PresenceCluster.DiagnosticsOf(s).Event += onOld);
        if (PresenceCluster.DivisorOf(joiner) > 0)
        {
            Interlocked.CompareExchange(ref shareOpenedAt, AttemptRecorder.Now, 0);
        }

        Check();

        // New users while it warms up: those placed on it wait for its share.
        var manager = _cluster.Manager;
        var newcomers = Enumerable.Range(SessionCount, 200).Select(PresenceCluster.User).ToList();
        var setting = Task.WhenAll(newcomers.Select(u => manager.GetOrCreate(u).SetAsync(PresenceState.Available)));
        try
        {
            await settled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            // Asserted below with what was reached.
        }
        finally
        {
            PresenceCluster.DiagnosticsOf(joiner).Event -= onJoiner;
            old.ForEach(s => PresenceCluster.DiagnosticsOf(s).Event -= onOld);
        }

        await setting;
        var joinerName = joiner.SiloAddress.ToString();
        var early = _cluster.Attempts.Attempts.Count(a => a.Silo == joinerName && a.Ticks < shareOpenedAt);
        var holders = await HoldersAsync();
        var firstSent = _cluster.Attempts.Attempts.Where(a => a.Silo == joinerName).Select(a => (long?)a.Ticks).Min();
        TestContext.Progress.WriteLine(
            $"join: {joinerName} " + (firstSent is { } first ? $"sent its first request after {(first - joinedAt) / (double)TimeSpan.TicksPerSecond:0.0} s, " : "sent no request, ") +
            $"its share opened after {(shareOpenedAt - joinedAt) / (double)TimeSpan.TicksPerSecond:0.0} s; it holds {holders.Count(h => h.Value == joiner.SiloAddress.ToString())} sessions");
        Assert.Multiple(() =>
        {
            Assert.That(shareOpenedAt, Is.Not.Zero, "the joiner's share opened");
            Assert.That(early, Is.Zero, "requests the joiner sent before its share opened");
            Assert.That(old.Select(PresenceCluster.DivisorOf), Is.All.EqualTo(old.Count + 1), "the other silos shrank to their new share");
            Assert.That(newcomers.Where(u => Describe(_cluster.Emulator.GetPresence(u)) != "Available/Available"), Is.Empty, "new users not Available");
            Assert.That(_cluster.Attempts.MaxInAnyWindow(PresenceCluster.Window).Count, Is.LessThanOrEqualTo(PresenceCluster.Budget), "attempts of the cluster in one closed window");
            Assert.That(Faded(), Is.Empty, "users whose presence faded or ended (lapses)");
        });
    }

    private BudgetShare BudgetShare() =>
        _cluster.Cluster.Silos[0].ServiceProvider.GetRequiredService<ClusterBudgetAgent>().Share!;

    private List<string> Faded() =>
        Enumerable.Range(0, SessionCount)
            .Select(PresenceCluster.User)
            .Where(u => _cluster.Emulator.GetHistory(u).Any(c => c.Availability is "AvailableInactive" or "Away" or "Offline" || c.Activity is "AvailableInactive" or "Away" or "Offline"))
            .ToList();

    private async Task<Dictionary<string, string>> HoldersAsync()
    {
        var sessions = _cluster.Manager.Sessions.Cast<ClusterPresenceSession>().ToList();
        await Parallel.ForEachAsync(sessions, new ParallelOptions { MaxDegreeOfParallelism = 100 }, async (s, ct) => await s.RefreshAsync(ct));
        return sessions.ToDictionary(s => s.UserId, s => s.Silo ?? string.Empty, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Polls the emulator until each user's session has a write after <paramref name="after"/>, or <paramref name="within"/> has passed; returns when each was first seen.</summary>
    private async Task<Dictionary<string, DateTimeOffset>> FirstWritesAfterAsync(IReadOnlyList<string> users, DateTimeOffset after, TimeSpan within)
    {
        var seen = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase);
        var clock = Stopwatch.StartNew();
        while (seen.Count < users.Count && clock.Elapsed < within)
        {
            foreach (var user in users)
            {
                if (!seen.ContainsKey(user) && _cluster.Emulator.GetSessions(user).Where(s => s.LastRefreshed > after).Select(s => (DateTimeOffset?)s.LastRefreshed).Min() is { } at)
                {
                    seen[user] = at;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        return seen;
    }

    private static string Describe(EmulatedPresence presence) => presence.Availability + "/" + presence.Activity;
}
#endif
