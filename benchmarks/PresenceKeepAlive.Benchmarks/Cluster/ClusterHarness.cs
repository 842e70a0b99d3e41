using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.TestingHost;
using PresenceKeepAlive.Benchmarks.Scale;
using PresenceKeepAlive.Benchmarks.Sdk;
using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.Orleans;
using PresenceKeepAlive.Orleans.Client;
using PresenceKeepAlive.Orleans.Silo;
using PresenceKeepAlive.Orleans.Tests.Shared;

namespace PresenceKeepAlive.Benchmarks.Cluster;

/// <summary>
/// The <c>cluster</c> verb: the distributed mode (PresenceKeepAlive.Orleans) on a real 3-silo Orleans cluster in this
/// process (TestingHost's <see cref="InProcessTestCluster"/>) against the same registration in one process (a Generic
/// Host), each against its own in-process presence emulator over loopback HTTP. Measures, in steady state, requests per
/// session-hour and process CPU per refresh (cluster at its margin; one process at the same margin and at its default
/// margin), then kills one silo and measures how long its sessions take to be refreshed elsewhere against the
/// survivors' detection of the death.
/// </summary>
/// <remarks>
/// <para>
/// Time runs 5 times faster than Graph's, as in the distributed mode's tests: the inactivity timeout of 5 minutes is 60 s,
/// the budget of 1,500 per 30 s is 1,500 per 6 s, the cluster's margin of 90 s is 18 s, its failover allowance of 30 s is
/// 6 s; requests per session-hour are converted to Graph time (real seconds × 5). Orleans itself (failure detection,
/// activation, storage) runs at real speed, so failover times are real seconds, to set against the 18 s margin.
/// </para>
/// <para>
/// The users are set Available evenly over one refresh period of the setup measured. The engine keeps each Available
/// session on a grid of one period from its acceptance, so users set all at once would refresh in clumps, and a window
/// that is not a whole number of periods long would count one clump too many or too few (up to one request per session,
/// ±20% over 4 minutes); spread evenly, any window counts the steady rate. The last column checks it from each user's
/// own refresh gaps in the window, which no phase affects.
/// </para>
/// <para>
/// Process CPU covers everything in the process: the silos (or the one host), the Orleans client, and the emulator
/// answering the requests (the same work per request in every setup). It is read from
/// <c>clock_gettime(CLOCK_PROCESS_CPUTIME_ID)</c> on Linux (<see cref="ProcessCpu"/>: what
/// <see cref="Process.TotalProcessorTime"/> reads, without its 10 ms ticks), elsewhere from
/// <see cref="Process.TotalProcessorTime"/>.
/// </para>
/// </remarks>
internal static class ClusterHarness
{
    private const string Registration = "contoso";
    private const string TenantId = "7e000000-0000-4000-8000-0000000c1057";
    private const string ClientId = "7c0ffee0-0000-4000-8000-0000000c1057";
    private const int Budget = 1500;
    private const int Silos = 3;
    private const int MaxSessions = 5_000;
    private const double TimeScale = 5;

    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan ClusterMargin = TimeSpan.FromSeconds(18);

    /// <summary>The one-process default margin when none is set: SessionTimeout / 12 (<c>KeepAliveSettings</c>).</summary>
    private static readonly TimeSpan DefaultMargin = SessionTimeout / 12;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public static async Task<int> RunAsync(string[] args)
    {
        var n = Cli.Int(args, "--sessions", 1_000);
        var minutes = Cli.Double(args, "--minutes", 4);
        if (n is < 1 or > MaxSessions || minutes is < 0.5 or > 30)
        {
            Console.Error.WriteLine($"cluster: --sessions must be 1..{MaxSessions:N0}, --minutes 0.5..30.");
            return 1;
        }

        var window = TimeSpan.FromMinutes(minutes);
        var wall = Stopwatch.StartNew();
        var warnings = new WarningLog();
        var users = Enumerable.Range(0, n).Select(User).ToList();

        var report = new StringBuilder();
        report.AppendLine("## Distributed mode: a 3-silo cluster against one process");
        report.AppendLine();
        report.AppendLine(Cli.CommandLine("cluster", args));
        report.AppendLine();
        report.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Graph's timings divided by {TimeScale:0} on the library and the emulator: SessionTimeout {SessionTimeout.TotalSeconds:0} s, budget {Budget:N0} per {RateWindow.TotalSeconds:0} s, " +
            $"cluster RefreshMargin {ClusterMargin.TotalSeconds:0} s, Lease 5 min, FailoverAllowance 6 s, MembershipReadInterval 500 ms, FenceAfter 2 s. " +
            $"{n:N0} users set Available evenly over one refresh period, then a window of {window.TotalMinutes:0.##} real minutes ({window.TotalMinutes * TimeScale:0.##} Graph minutes). " +
            $"Machine: {Cli.Machine()}."));
        report.AppendLine();
        Console.Write(report);

        var (cluster, failover) = await RunClusterAsync(users, window, warnings);
        FullGc.Collect();
        var oneAtClusterMargin = await RunOneProcessAsync(users, window, ClusterMargin, warnings);
        FullGc.Collect();
        var oneAtDefault = await RunOneProcessAsync(users, window, margin: null, warnings);

        var tables = new StringBuilder();
        tables.AppendLine("### Steady state: requests per session-hour and CPU per refresh");
        tables.AppendLine();
        tables.AppendLine($"| setup | sessions | refresh margin, real (Graph) | refresh period, real (Graph) | setPresence in the window | requests / session-h (Graph time) | theory: 3600 / period | from each user's refresh gaps | process CPU in the window | CPU µs / refresh | CPU in the window, % of {Environment.ProcessorCount} cores | lapses | most attempts in a closed 6 s window (budget {Budget:N0}) | 429s |");
        tables.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in new[] { cluster, oneAtClusterMargin, oneAtDefault })
        {
            tables.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Setup} | {row.Sessions:N0} | {row.Margin.TotalSeconds:0} s ({row.Margin.TotalSeconds * TimeScale:0} s) | {row.Period.TotalSeconds:0} s ({row.Period.TotalSeconds * TimeScale:0} s) | " +
                $"{row.Requests:N0} | {row.PerSessionHour:F2} | {row.Theory:F2} | {(double.IsNaN(row.FromGaps) ? "—" : row.FromGaps.ToString("F2", CultureInfo.InvariantCulture))} | {row.Cpu.TotalSeconds:F2} s | {row.CpuPerRefresh:N0} | " +
                $"{100 * row.Cpu / row.Window / Environment.ProcessorCount:F1} | {row.Lapses:N0} | {row.MaxInRateWindow:N0} | {row.Throttled:N0} |"));
        }

        tables.AppendLine();
        tables.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Window: {cluster.Window.TotalSeconds:F0} s real each ({cluster.Window.TotalSeconds * TimeScale / 60:0.#} Graph minutes), from the moment every user was Available at the emulator. " +
            $"Setting the users took {cluster.SetUp.TotalSeconds:F1} s / {oneAtClusterMargin.SetUp.TotalSeconds:F1} s / {oneAtDefault.SetUp.TotalSeconds:F1} s (one refresh period, paced); failed sets: {cluster.SetFailures} / {oneAtClusterMargin.SetFailures} / {oneAtDefault.SetFailures}. " +
            $"Lapses: users whose emulator history shows AvailableInactive, Away or Offline (cluster: at the end of the window; after the kill see below). " +
            $"Process CPU: everything in the process (silos or host, the Orleans client, the emulator), fixed costs included. " +
            $"Cluster against one process at the same margin: {cluster.CpuPerRefresh / oneAtClusterMargin.CpuPerRefresh:F2}× the CPU per refresh; " +
            $"the cluster's margin against the one-process default: {cluster.PerSessionHour / oneAtDefault.PerSessionHour:F2}× the requests (theory {cluster.Theory / oneAtDefault.Theory:F2}×)."));
        tables.AppendLine();
        tables.AppendLine("### Failover: a silo killed (KillSiloAsync) after the window");
        tables.AppendLine();
        tables.AppendLine("| sessions | on the killed silo (all Available) | KillSiloAsync returned | detected (survivors' first SiloLeaving, status seen) | sessions taken over (the last) | first moved session refreshed elsewhere | last moved session refreshed elsewhere | refresh period | least time to spare before a moved user's deadline | most attempts in a closed 6 s window from the kill | lapses (all users) | 429s |");
        tables.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        tables.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| {failover.Sessions:N0} | {failover.Moved:N0} | +{failover.KillReturned.TotalSeconds:F2} s | {Since(failover.Detected)} ({failover.DetectedAs ?? "—"}) | {failover.TakenOver:N0} ({Since(failover.LastTakenOver)}) | " +
            $"{Since(failover.FirstRefreshed)} | {Since(failover.LastRefreshed)} ({failover.Refreshed:N0}/{failover.Moved:N0}) | {(SessionTimeout - ClusterMargin).TotalSeconds:0} s | " +
            $"{(failover.LeastSlack is { } s ? s.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) + " s" : "—")} | {failover.MaxInRateWindow:N0} | {failover.Lapses:N0} | {failover.Throttled:N0} |"));
        tables.AppendLine();
        tables.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Times after the call to KillSiloAsync on {failover.Victim}, real seconds (Orleans runs at real speed; the margin is {ClusterMargin.TotalSeconds:0} s real). " +
            $"A moved session counts as refreshed elsewhere when a surviving silo has sent it a setPresence since the kill and the emulator shows a write after the kill (its time is the emulator's). " +
            $"Time to spare: the user's last write before the kill + {SessionTimeout.TotalSeconds:0} s (when it would fade) − its first write after; negative would be a lapse. " +
            $"Lapses counted when the last moved session was refreshed. Whole run: {wall.Elapsed.TotalMinutes:F1} min wall."));

        var warned = warnings.Lines;
        tables.AppendLine();
        var byPhase = string.Join(", ", warned.GroupBy(w => w.Phase).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key}: {g.Count():N0}")));
        tables.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Logged at Warning and above by the library, Error and above by Orleans and others: {warned.Count:N0} entries{(warned.Count == 0 ? "." : " (" + byPhase + ").")}"));
        var shown = warned.Where(w => !w.Phase.EndsWith("teardown", StringComparison.Ordinal)).Take(8).ToList();
        if (shown.Count > 0)
        {
            tables.AppendLine("The first outside the teardowns:");
            tables.AppendLine();
            foreach (var (phase, line) in shown)
            {
                var text = $"[{phase}] {line}";
                tables.AppendLine("    " + (text.Length > 300 ? text[..300] + "…" : text));
            }
        }

        Console.WriteLine();
        Console.Write(tables);
        if (Cli.Value(args, "--out") is { } output)
        {
            await File.WriteAllTextAsync(output, report.ToString() + tables);
            Console.Error.WriteLine($"Written to {output}");
        }

        return 0;
    }

    private static async Task<(SteadyResult Steady, FailoverResult Failover)> RunClusterAsync(IReadOnlyList<string> users, TimeSpan window, WarningLog warnings)
    {
        await using var emulator = await StartEmulatorAsync();
        var log = new SendLog();
        var storage = new ProcessWideGrainStorage();
        var reminders = new ProcessWideReminderTable();
        var events = new ConcurrentQueue<ClusterEvent>();
        var builder = new InProcessTestClusterBuilder(Silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddProcessWideGrainStorage(PresenceClusterOptions.StorageProviderName, storage);
            silo.UseProcessWideReminders(reminders);
            silo.AddPresenceKeepAlive(o =>
            {
                o.RefreshMargin = ClusterMargin;
                o.Lease = TimeSpan.FromMinutes(5);
                o.FailoverAllowance = TimeSpan.FromSeconds(6);
                o.MembershipReadInterval = TimeSpan.FromMilliseconds(500);
                o.FenceAfter = TimeSpan.FromSeconds(2);
            });
            silo.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning).AddProvider(warnings));
            var name = options.SiloName;
            silo.Services.AddPresenceSession(Registration, o => Configure(o, emulator))
                .HttpClientBuilder.AddHttpMessageHandler(() => new SendRecorder(log, name));
        });
        builder.ConfigureClient(client => client.AddPresenceKeepAliveClient(Registration));
        var cluster = builder.Build();
        try
        {
            var deploy = Stopwatch.StartNew();
            await cluster.DeployAsync();
            foreach (var silo in cluster.Silos)
            {
                silo.ServiceProvider.GetRequiredService<ClusterDiagnostics>().Event += events.Enqueue;
            }

            // Every silo's budget share opens a while after it starts (BudgetShare.GrowDelay): set nobody before.
            var shared = await PollUntilAsync(() => cluster.Silos.All(s => s.ServiceProvider.GetRequiredService<ClusterBudgetAgent>().AppliedDivisor == Silos), TimeSpan.FromSeconds(60));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [cluster] {Silos} silos up after {deploy.Elapsed.TotalSeconds:F1} s; budget shares {(shared ? "open" : "NOT open after 60 s")}"));

            var manager = cluster.Client.ServiceProvider.GetRequiredService<IPresenceSessionManagerProvider>().GetManager(Registration);
            var steady = await MeasureAsync($"cluster, {Silos} silos", emulator, manager, log, users, ClusterMargin, window, warnings);
            warnings.Phase = "failover";
            var failover = await KillOneAsync(cluster, emulator, manager, log, events, users);
            return (steady, failover);
        }
        finally
        {
            warnings.Phase = "cluster teardown";
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private static async Task<SteadyResult> RunOneProcessAsync(IReadOnlyList<string> users, TimeSpan window, TimeSpan? margin, WarningLog warnings)
    {
        await using var emulator = await StartEmulatorAsync();
        var log = new SendLog();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddProvider(warnings);
        builder.Services.AddPresenceSession(Registration, o =>
        {
            Configure(o, emulator);
            o.RefreshMargin = margin;

            // As the cluster does on its silos: stopping hands nothing over here, but it must not sign 1,000s of users off
            // (and count their requests) between two setups.
            o.SignOffOnStop = false;
            o.SignOffOnDispose = false;
        }).HttpClientBuilder.AddHttpMessageHandler(() => new SendRecorder(log, "one process"));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var manager = host.Services.GetRequiredService<IPresenceSessionManagerProvider>().GetManager(Registration);
            var setup = margin is null ? "one process, default margin" : "one process, cluster's margin";
            return await MeasureAsync(setup, emulator, manager, log, users, margin ?? DefaultMargin, window, warnings);
        }
        finally
        {
            warnings.Phase = "one process teardown";
            await host.StopAsync();
        }
    }

    /// <summary>Sets every user Available evenly over one refresh period, waits until the emulator shows them all, then measures one window.</summary>
    private static async Task<SteadyResult> MeasureAsync(string setup, PresenceEmulator emulator, IPresenceSessionManager manager, SendLog log, IReadOnlyList<string> users, TimeSpan margin, TimeSpan window, WarningLog warnings)
    {
        warnings.Phase = setup + ": setting the users";
        var period = SessionTimeout - margin;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{setup}] setting {users.Count:N0} users Available evenly over {period.TotalSeconds:0} s (one refresh period)"));
        var failures = 0;
        var sets = new List<Task>(users.Count);
        var setUp = Stopwatch.StartNew();
        for (var i = 0; i < users.Count; i++)
        {
            var wait = (period * i / users.Count) - setUp.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            sets.Add(SetAvailableAsync(manager, users[i], () => Interlocked.Increment(ref failures)));
        }

        await Task.WhenAll(sets);
        var allSet = await PollUntilAsync(() => users.All(u => emulator.GetPresence(u) is { Availability: "Available", Activity: "Available" }), TimeSpan.FromSeconds(60));
        var setUpTime = setUp.Elapsed;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{setup}] {(allSet ? "all" : "NOT all")} Available after {setUpTime.TotalSeconds:F1} s ({failures} sets failed); measuring {window.TotalSeconds:0} s"));

        warnings.Phase = setup + ": window";
        var requests0 = emulator.Counters.GetCount(EmulatorOperation.SetPresence);
        var throttled0 = emulator.Counters.ThrottledRequests;
        var t0 = SendLog.Now;
        var cpu0 = ProcessCpu.Now();
        var clock = Stopwatch.StartNew();
        await Task.Delay(window);
        var cpu = ProcessCpu.Now() - cpu0;
        var elapsed = clock.Elapsed;
        var t1 = SendLog.Now;
        var requests = emulator.Counters.GetCount(EmulatorOperation.SetPresence) - requests0;
        var throttled = emulator.Counters.ThrottledRequests - throttled0;

        var attempts = log.Between(t0, t1);
        var sessionHours = users.Count * elapsed.TotalHours * TimeScale;
        var result = new SteadyResult(
            setup,
            users.Count,
            margin,
            setUpTime,
            failures,
            elapsed,
            requests,
            requests / sessionHours,
            RateFromGaps(attempts),
            cpu,
            Lapses(emulator, users),
            SendLog.MaxInAnyWindow(attempts, RateWindow),
            throttled);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{setup}] {result.Requests:N0} setPresence, {result.PerSessionHour:F2} per session-h (theory {result.Theory:F2}), {result.CpuPerRefresh:N0} µs CPU per refresh, {result.Lapses} lapses"));
        return result;
    }

    /// <summary>Finds the sessions <c>Silos[1]</c> holds, kills it, and polls the emulator until each was refreshed by a survivor.</summary>
    private static async Task<FailoverResult> KillOneAsync(InProcessTestCluster cluster, PresenceEmulator emulator, IPresenceSessionManager manager, SendLog log, ConcurrentQueue<ClusterEvent> events, IReadOnlyList<string> users)
    {
        var sessions = manager.Sessions.Cast<ClusterPresenceSession>().ToList();
        await Parallel.ForEachAsync(sessions, new ParallelOptions { MaxDegreeOfParallelism = 50 }, async (s, ct) => await s.RefreshAsync(ct));
        var victim = cluster.Silos[1];
        var victimAddress = victim.SiloAddress.ToString();
        var victimName = victim.Name;
        var moved = sessions.Where(s => s.Silo == victimAddress).Select(s => s.UserId).ToList();
        Console.Error.WriteLine("  [failover] holders: " + string.Join(", ", sessions.GroupBy(s => s.Silo ?? "none").OrderBy(g => g.Key).Select(g => $"{g.Key} ({(g.Key == victimAddress ? victimName + ", the victim" : "survivor")}) {g.Count():N0}")));

        // The users' last writes before the kill (the emulator's), read just before it: a refresh in between only makes the
        // time to spare look smaller than it is.
        var lastBefore = moved.ToDictionary(u => u, u => emulator.GetSessions(u).Select(s => s.LastRefreshed).DefaultIfEmpty().Max(), StringComparer.OrdinalIgnoreCase);
        var throttled0 = emulator.Counters.ThrottledRequests;
        var killedAt = DateTimeOffset.UtcNow;
        var emulatorKilledAt = emulator.EmulatedNow;
        var killTicks = SendLog.Now;
        var clock = Stopwatch.StartNew();
        await cluster.KillSiloAsync(victim);
        var killReturned = clock.Elapsed;

        var refreshed = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase);
        var limit = SessionTimeout + TimeSpan.FromSeconds(30);
        while (refreshed.Count < moved.Count && clock.Elapsed < limit)
        {
            var sentElsewhere = log.Between(killTicks, SendLog.Now).Where(a => a.IsSet && a.Sender != victimName).Select(a => a.User).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var user in moved)
            {
                if (!refreshed.ContainsKey(user) && sentElsewhere.Contains(user) &&
                    emulator.GetSessions(user).Select(s => s.LastRefreshed).DefaultIfEmpty().Max() is var at && at > emulatorKilledAt)
                {
                    refreshed[user] = at;
                }
            }

            if (refreshed.Count < moved.Count)
            {
                await Task.Delay(Poll);
            }
        }

        var endTicks = SendLog.Now;
        var seen = events.ToList();
        var leaving = seen.Where(e => e.Kind == ClusterEventKind.SiloLeaving && e.Silo == victimAddress && e.At >= killedAt).OrderBy(e => e.At).ToList();
        var detected = leaving.Count > 0 ? leaving[0].At : (DateTimeOffset?)null;
        var takenOver = seen.Where(e => e.Kind == ClusterEventKind.SessionTakenOver && e.At >= killedAt).ToList();
        TimeSpan? FromKill(DateTimeOffset? at) => at - killedAt;
        TimeSpan? FromEmulatorKill(DateTimeOffset? at) => at - emulatorKilledAt;
        var slack = refreshed.Select(r => lastBefore[r.Key] + SessionTimeout - r.Value).Select(s => (TimeSpan?)s).Min();
        var result = new FailoverResult(
            users.Count,
            moved.Count,
            $"{victimName} ({victimAddress})",
            killReturned,
            FromKill(detected),
            leaving.Count > 0 ? leaving[0].Detail : null,
            takenOver.Count,
            FromKill(takenOver.Select(e => (DateTimeOffset?)e.At).Max()),
            FromEmulatorKill(refreshed.Values.Select(v => (DateTimeOffset?)v).Min()),
            FromEmulatorKill(refreshed.Values.Select(v => (DateTimeOffset?)v).Max()),
            refreshed.Count,
            slack,
            SendLog.MaxInAnyWindow(log.Between(killTicks, endTicks), RateWindow),
            Lapses(emulator, users),
            emulator.Counters.ThrottledRequests - throttled0);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [failover] {result.Moved:N0} sessions on {result.Victim}: detected {Since(result.Detected)}, last refreshed elsewhere {Since(result.LastRefreshed)} ({result.Refreshed:N0}/{result.Moved:N0}), least to spare {result.LeastSlack?.TotalSeconds:F2} s"));
        return result;
    }

    private static async Task SetAvailableAsync(IPresenceSessionManager manager, string user, Action failed)
    {
        try
        {
            await manager.GetOrCreate(user).SetAsync(PresenceState.Available);
        }
        catch (Exception ex)
        {
            failed();
            Console.Error.WriteLine($"  set {user} failed: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static Task<PresenceEmulator> StartEmulatorAsync() =>
        PresenceEmulator.StartAsync(new PresenceEmulatorOptions
        {
            InactivityTimeout = SessionTimeout,
            ThrottleLimit = Budget,
            ThrottleWindow = RateWindow,
            MaxHistoryPerUser = 100,
        });

    /// <summary>The registration every setup uses: the same in the silos and in the one process.</summary>
    private static void Configure(PresenceKeepAliveOptions o, PresenceEmulator emulator)
    {
        o.TenantId = TenantId;
        o.ClientId = ClientId;
        o.BaseUrl = emulator.GraphV1Url.ToString();
        o.SessionTimeout = SessionTimeout;
        o.RateLimitPerWindow = Budget;
        o.RateLimitWindow = RateWindow;
    }

    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds or <paramref name="limit"/> has passed.</summary>
    private static async Task<bool> PollUntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                return false;
            }

            await Task.Delay(Poll);
        }

        return true;
    }

    /// <summary>Requests per session-hour (Graph time) from each user's own gaps between setPresence attempts in the window: (count − 1) / (last − first), averaged over users with two or more.</summary>
    private static double RateFromGaps(IEnumerable<SentAttempt> attempts)
    {
        var rates = new List<double>();
        foreach (var user in attempts.Where(a => a.IsSet).GroupBy(a => a.User, StringComparer.OrdinalIgnoreCase))
        {
            var ticks = user.Select(a => a.Ticks).Order().ToArray();
            if (ticks.Length >= 2)
            {
                var gapSeconds = (ticks[^1] - ticks[0]) / (double)TimeSpan.TicksPerSecond / (ticks.Length - 1);
                rates.Add(3600 / (gapSeconds * TimeScale));
            }
        }

        return rates.Count == 0 ? double.NaN : rates.Average();
    }

    /// <summary>Users whose presence faded or ended at the emulator (AvailableInactive, Away or Offline in their history).</summary>
    private static int Lapses(PresenceEmulator emulator, IEnumerable<string> users) =>
        users.Count(u => emulator.GetHistory(u).Any(c => Faded(c.Availability) || Faded(c.Activity)));

    private static bool Faded(string value) => value is "AvailableInactive" or "Away" or "Offline";

    private static string User(int i) => $"0a1b2c3d-0000-4000-8000-{i:x12}";

    private static string Since(TimeSpan? t) => t is { } v ? "+" + v.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) + " s" : "not seen";

    private sealed record SteadyResult(
        string Setup,
        int Sessions,
        TimeSpan Margin,
        TimeSpan SetUp,
        int SetFailures,
        TimeSpan Window,
        long Requests,
        double PerSessionHour,
        double FromGaps,
        TimeSpan Cpu,
        int Lapses,
        int MaxInRateWindow,
        long Throttled)
    {
        public TimeSpan Period => SessionTimeout - Margin;

        /// <summary>One request per refresh period, in Graph time.</summary>
        public double Theory => 3600 / (Period.TotalSeconds * TimeScale);

        public double CpuPerRefresh => Cpu.TotalMicroseconds / Math.Max(1, Requests);
    }

    private sealed record FailoverResult(
        int Sessions,
        int Moved,
        string Victim,
        TimeSpan KillReturned,
        TimeSpan? Detected,
        string? DetectedAs,
        int TakenOver,
        TimeSpan? LastTakenOver,
        TimeSpan? FirstRefreshed,
        TimeSpan? LastRefreshed,
        int Refreshed,
        TimeSpan? LeastSlack,
        int MaxInRateWindow,
        int Lapses,
        long Throttled);
}
