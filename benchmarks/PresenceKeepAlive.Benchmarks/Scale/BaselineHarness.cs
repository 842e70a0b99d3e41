using System.Diagnostics;
using System.Globalization;
using System.Text;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>
/// The <c>baselines</c> mode: the engine next to what apps do without it, naive and fair, on the same simulated clock
/// and the same strict fake Graph, all users Available and wanting presence from t = 0.
/// <list type="bullet">
/// <item><b>per-user loop (naive)</b>: one loop per user, all starting at t = 0: send, ignore errors, <c>Task.Delay(4 min)</c> (today's).</item>
/// <item><b>per-user loop, random phase</b>: the same loop started after a random delay in [0, interval), with the
/// interval the engine plans at the defaults (SessionTimeout − margin); after a failure it retries after the
/// Retry-After (or 2 s) instead of waiting a whole round.</item>
/// <item><b>serial loop (naive)</b>: one loop over all users, <c>Task.Delay(window / limit)</c> between calls: paced at
/// exactly 50/s (today's).</item>
/// <item><b>serial loop, paced under the budget</b>: one request every 1/49.5 s, cycling through the users (paced
/// against the clock: <c>Task.Delay</c> counts whole milliseconds).</item>
/// </list>
/// </summary>
internal static class BaselineHarness
{
    public static int Run(string[] args)
    {
        var sizes = Cli.Ints(args, "--sessions", [10_000, 13_500]);
        var hours = Cli.Double(args, "--hours", 2);
        var seed = Cli.Int(args, "--seed", 1);
        var only = Cli.Value(args, "--only")?.Split(',');
        var options = new PresenceKeepAliveOptions();
        var margin = CapacityHarness.EngineMargin(new SimSpec(1));
        var interval = TimeSpan.FromSeconds(Cli.Double(args, "--interval", (options.SessionTimeout - margin).TotalSeconds));
        var pacedRate = Cli.Double(args, "--paced-rate", 49.5);

        var report = new StringBuilder();
        report.AppendLine("## Baselines: the engine next to naive and fair loops");
        report.AppendLine();
        report.AppendLine(Cli.CommandLine("baselines", args));
        report.AppendLine();
        report.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{hours} simulated hours; all users Available, wanting presence from t = 0; strict fake Graph (1,500 per closed 30 s window, 429 + Retry-After 1 s beyond); random-phase interval {interval.TotalSeconds} s; paced serial loop {pacedRate}/s; seed {seed}. Machine: {Cli.Machine()}."));
        report.AppendLine();
        report.AppendLine("| sessions | approach | requests/session/h | 429s | lapse events | users ever lapsed | late starts | worst first accept | worst gap | most requests in a closed 30 s window | wall s |");
        report.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.Write(report);

        string[] approaches = ["engine", "per-user-loop", "per-user-loop-random-phase", "serial-loop", "serial-loop-paced"];
        foreach (var n in sizes)
        {
            foreach (var approach in approaches)
            {
                if (only is not null && !only.Contains(approach))
                {
                    continue;
                }

                var wall = Stopwatch.StartNew();
                string line;
                if (approach == "engine")
                {
                    var r = SimRun.Steady(new SimSpec(n) { Seed = seed }, hours);
                    line = Line(n, approach, r.RequestsPerSessionHour, r.Throttled, r.LapseEvents, r.UsersLapsed, r.LateStarts, r.WorstFirstAccept, r.WorstGapAvailable, r.MaxInWindow, wall.Elapsed.TotalSeconds);
                }
                else
                {
                    line = RunLoop(approach, n, hours, seed, options, interval, pacedRate, wall);
                }

                Console.WriteLine(line);
                report.AppendLine(line);
            }
        }

        if (Cli.Value(args, "--out") is { } output)
        {
            File.WriteAllText(output, report.ToString());
        }

        return 0;
    }

    private static string Line(int n, string approach, double perHour, long throttled, long lapses, int users, int lateStarts, TimeSpan first, TimeSpan gap, int maxWindow, double wall) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {n:N0} | {approach} | {perHour:F2} | {throttled:N0} | {lapses:N0} | {users:N0} | {lateStarts:N0} | {Cli.S(first)} | {Cli.S(gap)} | {maxWindow:N0} | {wall:F1} |");

    private static string RunLoop(string approach, int n, double hours, int seed, PresenceKeepAliveOptions options, TimeSpan interval, double pacedRate, Stopwatch wall)
    {
        var users = new string[n];
        for (var i = 0; i < n; i++)
        {
            users[i] = "user" + i.ToString(CultureInfo.InvariantCulture) + "@contoso.com";
        }

        var time = new SimTimeProvider(EngineSim.Start);
        var graph = new SimGraph(time, users, options.RateLimitPerWindow, options.RateLimitWindow, options.SessionTimeout, options.Lease);
        using var cts = new CancellationTokenSource();
        var random = new Random(seed);
        Task[] loops = approach switch
        {
            "per-user-loop" => users.Select(u => PerUserLoopAsync(graph, time, u, TimeSpan.Zero, TimeSpan.FromMinutes(4), retry: false, cts.Token)).ToArray(),
            "per-user-loop-random-phase" => users.Select(u => PerUserLoopAsync(graph, time, u, TimeSpan.FromTicks((long)(random.NextDouble() * interval.Ticks)), interval, retry: true, cts.Token)).ToArray(),
            "serial-loop" => [SerialLoopAsync(graph, time, users, options.RateLimitWindow / options.RateLimitPerWindow, cts.Token)],
            _ => [PacedSerialLoopAsync(graph, time, users, pacedRate, cts.Token)],
        };

        time.RunUntil(EngineSim.Start + TimeSpan.FromHours(hours));
        var (open, lapsedUsers) = graph.Finish();
        cts.Cancel();
        time.RunUntil(time.GetUtcNow() + TimeSpan.FromSeconds(1));
        GC.KeepAlive(loops);
        wall.Stop();
        return Line(n, approach, graph.Requests / (double)n / hours, graph.Throttled, graph.LapseEvents + open, lapsedUsers, graph.LateStarts,
            TimeSpan.FromTicks(graph.WorstFirstAccept), TimeSpan.FromTicks(graph.WorstGapAvailable), graph.MaxInWindow, wall.Elapsed.TotalSeconds);
    }

    private static async Task PerUserLoopAsync(SimGraph graph, TimeProvider time, string user, TimeSpan phase, TimeSpan interval, bool retry, CancellationToken ct)
    {
        try
        {
            if (phase > TimeSpan.Zero)
            {
                await Task.Delay(phase, time, ct);
            }

            while (!ct.IsCancellationRequested)
            {
                var wait = interval;
                try
                {
                    await graph.SetPresenceAsync(user, PresenceState.Available, default, ct);
                }
                catch (PresenceRequestException ex) when (retry)
                {
                    wait = ex.RetryAfter ?? TimeSpan.FromSeconds(2);
                }
                catch (PresenceRequestException)
                {
                }

                await Task.Delay(wait, time, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Task.Delay counts whole milliseconds (20.2 ms would become 20 ms, i.e. 50/s): pace against the clock instead, the
    // k-th request at t0 + k / rate, each delay rounded up to the next millisecond.
    private static async Task PacedSerialLoopAsync(SimGraph graph, TimeProvider time, string[] users, double rate, CancellationToken ct)
    {
        try
        {
            var t0 = time.GetUtcNow();
            for (long k = 0; !ct.IsCancellationRequested; k++)
            {
                var due = t0 + TimeSpan.FromTicks((long)Math.Ceiling(k * TimeSpan.TicksPerSecond / rate));
                var wait = due - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)), time, ct);
                }

                try
                {
                    await graph.SetPresenceAsync(users[k % users.Length], PresenceState.Available, default, ct);
                }
                catch (PresenceRequestException)
                {
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task SerialLoopAsync(SimGraph graph, TimeProvider time, string[] users, TimeSpan pace, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                for (var i = 0; i < users.Length; i++)
                {
                    try
                    {
                        await graph.SetPresenceAsync(users[i], PresenceState.Available, default, ct);
                    }
                    catch (PresenceRequestException)
                    {
                    }

                    await Task.Delay(pace, time, ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
