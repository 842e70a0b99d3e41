using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Benchmarks.Sdk;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Protocol.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>
/// Runs N sessions for a simulated period against <see cref="SimGraph"/> on <see cref="SimTimeProvider"/>, three ways:
/// the library's engine, (a) one loop per user awaiting <c>Task.Delay</c> on the time provider, and (b) one serial
/// loop over all users with a fixed delay between calls. All users want presence from the start of the run.
/// </summary>
internal static class ScaleHarness
{
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);

    public static int Run(string[] args) => Run(args, ["engine", "per-user-loop", "serial-loop"], warmUpSessions: 200, warmUpHours: 0.5);

    /// <summary>
    /// The <c>scale-sdk</c> mode: the engine over the fake protocol next to the engine over the real
    /// <c>GraphPresenceProtocol</c> (DI graph, Polly, Graph handlers, Kiota) whose primary handler is <see cref="SimGraph"/>
    /// behind HTTP, both on the simulated clock.
    /// </summary>
    /// <remarks>
    /// The SDK path is long: a short warm-up leaves much of it in tier-0 code, and its tier-1 compilation (on a
    /// background thread, but in the process CPU time) would be charged to the first measured run. Hence a longer
    /// warm-up: about 128,000 requests (measured: the SDK path settles only after some 60,000 calls).
    /// </remarks>
    public static int RunSdk(string[] args) => Run(args, ["engine", "engine-sdk"], warmUpSessions: 4_000, warmUpHours: 2);

    private static int Run(string[] args, string[] approaches, int warmUpSessions, double warmUpHours)
    {
        int[] sizes = [1_000, 10_000, 100_000];
        var hours = 2.0;
        string? output = null;
        var only = (string?)null;
        int? engineBudget = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--sessions":
                    sizes = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--hours":
                    hours = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--out":
                    output = args[++i];
                    break;
                case "--only":
                    only = args[++i];
                    break;
                case "--engine-budget":
                    // The engine's RateLimitPerWindow, to drive it above the fake Graph's limit (which stays at the default).
                    engineBudget = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
            }
        }

        var options = new PresenceKeepAliveOptions();
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"Scale harness: {hours} simulated hours; budget {options.RateLimitPerWindow}/{options.RateLimitWindow.TotalSeconds} s; refresh {options.RefreshInterval?.ToString() ?? "timeout - margin"}; timeout {options.SessionTimeout}.");
        report.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} logical cores, {RuntimeInformationText()}, GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}.");
        report.AppendLine();
        report.AppendLine("| sessions | approach | requests/session/h (ideal 15) | accepted | 429s | lapse events | users ever lapsed | users live at end | timer wake-ups/h | CPU µs/request (excl. fake Graph) | alloc B/request | bytes/session | over-capacity warning | wall s |");
        report.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        Console.Write(report.ToString());

        // Warm-up, so that JIT compilation is not charged to the first measured run.
        foreach (var approach in approaches)
        {
            _ = RunOne(approach, warmUpSessions, warmUpHours, options, engineBudget);
        }

        foreach (var n in sizes)
        {
            foreach (var approach in approaches)
            {
                if (only is not null && !only.Split(',').Contains(approach))
                {
                    continue;
                }

                var r = RunOne(approach, n, hours, options, engineBudget);
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"| {n:N0} | {r.Approach} | {r.RequestsPerSessionHour:F2} | {r.Accepted:N0} | {r.Throttled:N0} | {r.LapseEvents:N0} | {r.UsersLapsed:N0} | {r.UsersLiveAtEnd:N0} | {r.WakeupsPerHour:N0} | {r.CpuMicrosPerRequest:F2} | {r.AllocPerRequest:N0} | {r.BytesPerSession:N0} | {r.OverCapacity} | {r.WallSeconds:F1} |");
                Console.WriteLine(line);
                report.AppendLine(line);
            }
        }

        if (output is not null)
        {
            File.WriteAllText(output, report.ToString());
        }

        return 0;
    }

    private static string RuntimeInformationText() =>
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription + " on " + System.Runtime.InteropServices.RuntimeInformation.OSDescription;

    private static Result RunOne(string approach, int n, double hours, PresenceKeepAliveOptions options, int? engineBudget)
    {
        var users = new string[n];
        for (var i = 0; i < n; i++)
        {
            users[i] = "user" + i.ToString(CultureInfo.InvariantCulture) + "@contoso.com";
        }

        var time = new SimTimeProvider(Start);
        var graph = new SimGraph(time, users, options.RateLimitPerWindow, options.RateLimitWindow, options.SessionTimeout) { LateStartIsLapse = true };
        var end = Start + TimeSpan.FromHours(hours);
        var logger = new CountingLogger();
        using var cts = new CancellationTokenSource();

        FullGc.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        var wall = Stopwatch.StartNew();

        // The engine with the same options and seed whichever protocol it sends through.
        PresenceSessionManager StartEngine(IPresenceProtocol protocol)
        {
            var manager = PresenceSessionManager.Create(
                protocol,
                new PresenceKeepAliveOptions { SignOffOnDispose = false, RateLimitPerWindow = engineBudget ?? options.RateLimitPerWindow },
                time,
                logger,
                new PresenceKeepAliveMetrics(null),
                new Random(1),
                inlineDispatch: true);
            for (var i = 0; i < n; i++)
            {
                _ = manager.GetOrCreate(users[i]).SetAsync(State(i));
            }

            return manager;
        }

        object keepAlive;
        ServiceProvider? sdk = null;
        SimGraphHandler? sdkHandler = null;
        switch (approach)
        {
            case "engine-sdk":
                // The real protocol from the library's DI graph, on the same simulated clock (Polly's delays and
                // timeouts use the TimeProvider registered there); same options and seed as "engine".
                sdkHandler = new SimGraphHandler(graph);
                var primary = sdkHandler;
                sdk = SdkServices.Build(() => primary, time);
                keepAlive = StartEngine(sdk.GetRequiredService<IPresenceProtocol>());
                break;
            case "engine":
                keepAlive = StartEngine(graph);
                break;
            case "per-user-loop":
                var loops = new Task[n];
                for (var i = 0; i < n; i++)
                {
                    loops[i] = PerUserLoopAsync(graph, time, users[i], State(i), options.RefreshInterval ?? TimeSpan.FromMinutes(4), cts.Token);
                }

                keepAlive = loops;
                break;
            default:
                var pace = options.RateLimitWindow / options.RateLimitPerWindow;
                keepAlive = SerialLoopAsync(graph, time, users, pace, cts.Token);
                break;
        }

        time.RunUntil(end);
        wall.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - alloc0;

        FullGc.Collect();
        var retained = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        GC.KeepAlive(keepAlive);
        GC.KeepAlive(users);

        var (open, usersLapsed) = graph.Finish();
        var handlerTicks = graph.HandlerTicks + (sdkHandler?.HandlerTicks ?? 0);
        var handler = TimeSpan.FromTicks((long)(handlerTicks * (TimeSpan.TicksPerSecond / (double)Stopwatch.Frequency)));
        var requests = Math.Max(1, graph.Requests);
        var result = new Result(
            approach,
            graph.Requests / (double)n / hours,
            graph.Accepted,
            graph.Throttled,
            graph.LapseEvents + open,
            usersLapsed,
            n - open,
            time.Wakeups / hours,
            (cpu - handler).TotalMicroseconds / requests,
            allocated / (double)requests,
            retained / (double)n,
            approach.StartsWith("engine", StringComparison.Ordinal) ? (logger.OverCapacityWarnings > 0 ? "yes" : "no") : "n/a",
            wall.Elapsed.TotalSeconds);

        cts.Cancel();
        if (keepAlive is PresenceSessionManager m)
        {
            m.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        sdk?.DisposeAsync().AsTask().GetAwaiter().GetResult();

        return result;
    }

    private static PresenceState State(int i) => (i % 3) switch
    {
        0 => PresenceState.Available,
        1 => PresenceState.BusyInACall,
        _ => PresenceState.Away,
    };

    private static async Task PerUserLoopAsync(SimGraph graph, TimeProvider time, string user, PresenceState state, TimeSpan interval, CancellationToken ct)
    {
        // What many apps do today: a loop per user, no shared budget, errors ignored until the next round.
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await graph.SetPresenceAsync(user, state, ct);
            }
            catch (PresenceRequestException)
            {
            }

            try
            {
                await Task.Delay(interval, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task SerialLoopAsync(SimGraph graph, TimeProvider time, string[] users, TimeSpan pace, CancellationToken ct)
    {
        // The other common way: one loop over all users, paced to the budget with a fixed delay between calls.
        while (!ct.IsCancellationRequested)
        {
            for (var i = 0; i < users.Length; i++)
            {
                try
                {
                    await graph.SetPresenceAsync(users[i], State(i), ct);
                }
                catch (PresenceRequestException)
                {
                }

                try
                {
                    await Task.Delay(pace, time, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private sealed record Result(
        string Approach,
        double RequestsPerSessionHour,
        long Accepted,
        long Throttled,
        long LapseEvents,
        int UsersLapsed,
        long UsersLiveAtEnd,
        double WakeupsPerHour,
        double CpuMicrosPerRequest,
        double AllocPerRequest,
        double BytesPerSession,
        string OverCapacity,
        double WallSeconds);

    private sealed class CountingLogger : ILogger
    {
        public int OverCapacityWarnings { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 109)
            {
                OverCapacityWarnings++;
                Console.Error.WriteLine("  [warning] " + formatter(state, exception));
            }
        }
    }
}
