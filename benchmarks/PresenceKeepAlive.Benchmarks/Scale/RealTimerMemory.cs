using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Protocol.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>
/// Memory per idle session with the real clock (<see cref="TimeProvider.System"/>): the simulated clock's timers are
/// smaller than the runtime's, so this measures what a process really holds, for the engine and for one
/// <c>Task.Delay</c> loop per user. The budget is lifted so that every session is set at once: to the session count per
/// hour (the gate keeps a log of one entry per request of a window, so an unbounded budget would cost gigabytes). The
/// baseline is taken after the manager exists, so its fixed cost (scheduler, gate log) is reported apart from the
/// per-session figure.
/// </summary>
internal static class RealTimerMemory
{
    public static int Run(string[] args)
    {
        var n = 100_000;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--sessions")
            {
                n = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
        }

        var users = new string[n];
        for (var i = 0; i < n; i++)
        {
            users[i] = "user" + i.ToString(CultureInfo.InvariantCulture) + "@contoso.com";
        }

        var protocol = new NoOpProtocol();
        Console.WriteLine("## Memory per idle session");
        Console.WriteLine();
        Console.WriteLine(Cli.CommandLine("memory", args));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Sessions set once (Busy/InACall) with TimeProvider.System and a no-op protocol, budget lifted to {n:N0} per hour, then idle; managed heap after a full collection minus the baseline (taken after the manager was created), divided by the count. Target: <= 400 B per session. Machine: {Cli.Machine()}."));
        Console.WriteLine();
        Console.WriteLine("| sessions | approach | retained per idle session | fixed cost (manager, before any session) | timers | wall s |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|");

        // Warm-up.
        Engine(protocol, users[..100]);
        Loops(protocol, users[..100]);

        var wall = System.Diagnostics.Stopwatch.StartNew();
        var (engine, fixedCost) = Engine(protocol, users);
        var engineWall = wall.Elapsed.TotalSeconds;
        wall.Restart();
        var loops = Loops(protocol, users);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {n:N0} | engine (TimeProvider.System) | {engine:N0} B | {fixedCost:N0} B | 1 | {engineWall:F1} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {n:N0} | per-user loop (TimeProvider.System) | {loops:N0} B | — | {n:N0} | {wall.Elapsed.TotalSeconds:F1} |"));
        GC.KeepAlive(users);
        return 0;
    }

    private static (double PerSession, long Fixed) Engine(IPresenceProtocol protocol, string[] users)
    {
        FullGc.Collect();
        var empty = GC.GetTotalMemory(forceFullCollection: true);
        var manager = PresenceSessionManager.Create(
            protocol,
            new PresenceKeepAliveOptions { RateLimitPerWindow = users.Length + 16, RateLimitWindow = TimeSpan.FromHours(1), SignOffOnDispose = false },
            TimeProvider.System,
            NullLogger.Instance,
            new PresenceKeepAliveMetrics(null));
        FullGc.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        foreach (var user in users)
        {
            manager.GetOrCreate(user).SetAsync(PresenceState.BusyInACall).GetAwaiter().GetResult();
        }

        FullGc.Collect();
        var bytes = (GC.GetTotalMemory(forceFullCollection: true) - baseline) / (double)users.Length;
        if (manager.Sessions.Any(s => s.Status != PresenceSessionStatus.Active))
        {
            throw new InvalidOperationException("Not every session is active.");
        }

        manager.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return (bytes, baseline - empty);
    }

    private static double Loops(IPresenceProtocol protocol, string[] users)
    {
        FullGc.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        using var cts = new CancellationTokenSource();
        var tasks = new Task[users.Length];
        for (var i = 0; i < users.Length; i++)
        {
            tasks[i] = LoopAsync(protocol, users[i], cts.Token);
        }

        FullGc.Collect();
        var bytes = (GC.GetTotalMemory(forceFullCollection: true) - baseline) / (double)users.Length;
        cts.Cancel();
        Task.WaitAll(tasks);
        return bytes;
    }

    private static async Task LoopAsync(IPresenceProtocol protocol, string user, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await protocol.SetPresenceAsync(user, PresenceState.BusyInACall, default, ct);
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(4), TimeProvider.System, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private sealed class NoOpProtocol : IPresenceProtocol
    {
        public PresenceProtocol Protocol => PresenceProtocol.SetPresence;

        public Task SetPresenceAsync(string userId, PresenceState state, System.Diagnostics.ActivityContext parent, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ClearPresenceAsync(string userId, System.Diagnostics.ActivityContext parent, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
