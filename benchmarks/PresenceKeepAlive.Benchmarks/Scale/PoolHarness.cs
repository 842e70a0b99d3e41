using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>
/// The <c>pools</c> verb: app pools and many registrations in one process, on the simulated clock (<see cref="PoolSim"/>).
/// <list type="bullet">
/// <item><c>capacity</c>: zero-lapse capacity of one tenant with 1, 2, 3 app registrations, by bisection.</item>
/// <item><c>move</c>: one tenant, 3 apps, 30,000 Available users; a fourth app added mid-run.</item>
/// <item><c>registrations</c>: CPU and memory per session with 100 registrations against one, same total sessions.</item>
/// </list>
/// </summary>
internal static class PoolHarness
{
    public static int Run(string[] args)
    {
        var mode = args.FirstOrDefault() ?? "all";
        var options = Parse(args.Skip(1).ToArray());
        var output = new StringBuilder();
        if (mode is "capacity" or "all")
        {
            Capacity(options, output);
        }

        if (mode is "move" or "all")
        {
            Move(options, output);
        }

        if (mode is "registrations" or "all")
        {
            Registrations(options, output);
        }

        Console.Write(output);
        if (options.TryGetValue("out", out var path))
        {
            File.WriteAllText(path, output.ToString());
        }

        return 0;
    }

    private static void Capacity(Dictionary<string, string> options, StringBuilder output)
    {
        var apps = Ints(options, "apps", "1,2,3");
        var hours = Double(options, "hours", 2);
        var precision = (int)Double(options, "precision", 50);
        output.AppendLine("## Capacity of one tenant with several app registrations").AppendLine();
        output.AppendLine(Command("pools capacity", options)).AppendLine();
        output.AppendLine(Inv($"All Available, every session set at t = 0, {hours} simulated hours; zero lapses = no user ever went longer than 5 minutes without an accepted set, by any app; strict fake Graph per app (1,500 / 30 s per app per tenant). Bisection to {precision} sessions. {Machine()}")).AppendLine();
        output.AppendLine("| apps | zero-lapse capacity | per app | vs 1 app | most requests in a closed 30 s window, per app | wall s |");
        output.AppendLine("|---:|---:|---:|---:|---:|---:|");
        double? single = null;
        foreach (var n in apps)
        {
            var wall = Stopwatch.StartNew();
            int low = n * 13_000, high = n * 15_600;
            var maxWindow = 0;
            while (high - low > precision)
            {
                var mid = (low + high) / 2;
                var (ok, window) = Clean(n, mid, hours);
                if (ok)
                {
                    low = mid;
                    maxWindow = window;
                }
                else
                {
                    high = mid;
                }
            }

            single ??= low;
            output.AppendLine(Inv($"| {n} | {low:N0} | {low / n:N0} | {low / single.Value:0.00} x | {maxWindow:N0} | {wall.Elapsed.TotalSeconds:0} |"));
        }

        output.AppendLine();
    }

    private static (bool Ok, int MaxWindow) Clean(int apps, int sessions, double hours)
    {
        using var sim = new PoolSim(1, apps, sessions);
        sim.SetAll();
        sim.RunUntil(TimeSpan.FromHours(hours));
        var ledger = sim.Ledgers[0];
        var graphs = sim.Graphs[0];
        var ok = ledger.Lapses + ledger.OpenLapses() == 0 && graphs.All(g => g.OverLimit == 0);
        return (ok, graphs.Max(g => g.MaxInWindow));
    }

    private static void Move(Dictionary<string, string> options, StringBuilder output)
    {
        var sessions = (int)Double(options, "sessions", 30_000);
        var hours = Double(options, "hours", 1);
        var addAt = TimeSpan.FromMinutes(Double(options, "add-at", 30));
        output.AppendLine("## One tenant, 3 app registrations, a fourth added").AppendLine();
        output.AppendLine(Command("pools move", options)).AppendLine();
        output.AppendLine(Inv($"{sessions:N0} Available users set at t = 0 over 3 apps; at {addAt.TotalMinutes} min `AddAppAsync` adds a fourth; {hours} simulated hours in all. {Machine()}")).AppendLine();
        var wall = Stopwatch.StartNew();
        using var sim = new PoolSim(1, 3, sessions);
        var pool = sim.Pools[0];
        sim.SetAll();
        sim.RunUntil(addAt);
        var before = sim.Ledgers[0].Users.ToDictionary(u => u, pool.GetClientId);
        var moved = sim.Drive(pool.AddAppAsync(new PresenceAppRegistration { ClientId = PoolSim.ClientId(3) }), TimeSpan.FromMinutes(10));
        var movedAt = sim.Time.GetUtcNow() - PoolSim.Start;
        var toNew = before.Count(p => pool.GetClientId(p.Key) == PoolSim.ClientId(3) && p.Value != PoolSim.ClientId(3));
        sim.RunUntil(TimeSpan.FromHours(hours));
        var ledger = sim.Ledgers[0];
        var graphs = sim.Graphs[0];
        output.AppendLine("| users moved | share | moved to the new app | move done after | lapses | set by an app while another app held the user | sign-offs accepted | most requests in a closed 30 s window, per app | over the limit | wall s |");
        output.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
        output.AppendLine(Inv(
            $"| {moved:N0} | {moved / (double)sessions:P1} | {toNew:N0} | {(movedAt - addAt).TotalSeconds:0} s | {ledger.Lapses + ledger.OpenLapses()} | {ledger.SetWhileOtherAppHolds} | {ledger.SignOffs:N0} | {string.Join(" / ", graphs.Select(g => g.MaxInWindow.ToString("N0", CultureInfo.InvariantCulture)))} | {graphs.Sum(g => g.OverLimit)} | {wall.Elapsed.TotalSeconds:0} |"));
        output.AppendLine();
    }

    // Heap and CPU are measured from here: every session set and on its refresh grid (the first sets take 200 s at one app's rate).
    private static readonly TimeSpan Settled = TimeSpan.FromMinutes(10);

    private static void Registrations(Dictionary<string, string> options, StringBuilder output)
    {
        var sessions = (int)Double(options, "sessions", 10_000);
        var counts = Ints(options, "registrations", "1,100");
        var hours = Double(options, "hours", 1);
        output.AppendLine("## CPU and memory per session: many registrations against one").AppendLine();
        output.AppendLine(Command("pools registrations", options)).AppendLine();
        output.AppendLine(Inv($"{sessions:N0} Available sessions in all, split evenly over the registrations (one app each, its own budget, engine, timer and fake Graph), {hours} simulated hour(s) measured from 10 minutes after the first sets (all set and on their refresh grids). Memory: managed heap after a full GC at 10 minutes, minus before creating anything (it includes the fake Graph's and the ledger's per-user state, the same in both rows). Each count runs once unmeasured first (JIT). CPU: process time to run the hour (sends inline on the simulated clock). {Machine()}")).AppendLine();
        output.AppendLine("| registrations | sessions each | heap per session | CPU per session-hour | requests | lapses |");
        output.AppendLine("|---:|---:|---:|---:|---:|---:|");

        // Warm-up, so that the first measured count does not pay for JIT compilation.
        foreach (var count in counts)
        {
            using var warm = new PoolSim(count, 1, Math.Max(1, 2_000 / count));
            warm.SetAll();
            warm.RunUntil(TimeSpan.FromMinutes(20));
        }

        foreach (var count in counts)
        {
            FullGc.Collect();
            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            using var sim = new PoolSim(count, 1, sessions / count);
            sim.SetAll();
            sim.RunUntil(Settled);
            FullGc.Collect();
            var heap = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            sim.RunUntil(TimeSpan.FromHours(hours) + Settled);
            var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            var requests = sim.Graphs.Sum(g => g.Sum(x => x.Requests));
            var lapses = sim.Ledgers.Sum(l => l.Lapses + l.OpenLapses());
            output.AppendLine(Inv($"| {count} | {sessions / count:N0} | {heap / (double)sessions:N0} B | {cpuUsed.TotalMilliseconds * 1000 / (sessions * hours):N1} µs | {requests:N0} | {lapses} |"));
            GC.KeepAlive(sim);
        }

        output.AppendLine();
    }

    private static string Command(string verb, Dictionary<string, string> options) =>
        "`dotnet run -c Release --project benchmarks/PresenceKeepAlive.Benchmarks -- " + verb +
        string.Concat(options.Where(o => o.Key != "out").Select(o => $" --{o.Key} {o.Value}")) + "`";

    private static string Machine() =>
        Inv($"Machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}.");

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static Dictionary<string, string> Parse(string[] args)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            result[args[i].TrimStart('-')] = args[i + 1];
        }

        return result;
    }

    private static double Double(Dictionary<string, string> options, string name, double fallback) =>
        options.TryGetValue(name, out var text) ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static int[] Ints(Dictionary<string, string> options, string name, string fallback) =>
        (options.TryGetValue(name, out var text) ? text : fallback).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}
