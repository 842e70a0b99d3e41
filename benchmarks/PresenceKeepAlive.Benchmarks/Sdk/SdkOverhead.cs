using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Protocol.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Benchmarks.Sdk;

/// <summary>
/// The <c>overhead</c> mode: the same three operations as the micro benchmarks (engine over a no-op protocol, the SDK
/// alone, the engine over the SDK), awaited one after another, measured in <em>process CPU time</em> per call rather
/// than wall time, so that other load on the machine inflates the figures less. Several rounds; the median is printed.
/// </summary>
internal static class SdkOverhead
{
    public static async Task<int> RunAsync(string[] args)
    {
        var calls = 20_000;
        var rounds = 11;
        var allocations = false;
        var profile = -1;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--calls":
                    calls = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--rounds":
                    rounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--allocations":
                    allocations = true;
                    break;
                case "--profile":
                    // Only one case, for a profiler attached from outside (perf record): 0 engine alone, 1 SDK alone, 2 engine + SDK.
                    profile = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
            }
        }

        var lifted = (Action<PresenceKeepAliveOptions>)(o =>
        {
            o.RateLimitPerWindow = int.MaxValue / 4;
            o.RateLimitWindow = TimeSpan.FromSeconds(1);
        });
        var engineOptions = new PresenceKeepAliveOptions { SignOffOnDispose = false };
        lifted(engineOptions);

        await using var engineOnly = PresenceSessionManager.Create(
            new NoOpProtocol(), engineOptions, TimeProvider.System, NullLogger.Instance, new PresenceKeepAliveMetrics(null));
        await using var services = SdkServices.Build(() => new OkHandler(), TimeProvider.System, lifted);
        var protocol = services.GetRequiredService<IPresenceProtocol>();
        var sdkSession = services.GetRequiredService<IPresenceSessionManager>().GetOrCreate("alice@contoso.com");
        var engineSession = engineOnly.GetOrCreate("alice@contoso.com");

        using var stopping = new CancellationTokenSource();
        var next = 0;
        PresenceState State() => (next++ & 1) == 0 ? PresenceState.Available : PresenceState.BusyInACall;
        var cases = new (string Name, Func<Task> Call)[]
        {
            ("engine alone: IPresenceSession.SetAsync, no-op protocol", () => engineSession.SetAsync(State())),
            ("SDK alone: IPresenceProtocol.SetPresenceAsync (DI graph, Polly, Graph handlers, Kiota, in-memory 200)", () => protocol.SetPresenceAsync("bob@contoso.com", State(), default, CancellationToken.None)),
            ("engine + SDK: IPresenceSession.SetAsync from the same container", () => sdkSession.SetAsync(State())),

            // Not part of the three-way comparison above: the SDK alone with a cancellable token, as the engine passes its
            // stopping token to every send (HttpClient, Polly and Kiota then link and register on it).
            ("SDK alone, cancellable token (as the engine passes its stopping token)", () => protocol.SetPresenceAsync("bob@contoso.com", State(), default, stopping.Token)),
        };

        var results = new List<(string Name, double CpuMicros, double WallMicros, double Bytes, double Pending)>[cases.Length];
        for (var c = 0; c < cases.Length; c++)
        {
            results[c] = [];
        }

        if (profile >= 0)
        {
            for (var r = 0; r < rounds; r++)
            {
                var (cpu, _, bytes, _) = await MeasureAsync(cases[profile].Call, calls);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{cases[profile].Name}: {cpu:F2} µs CPU, {bytes:N0} B per call"));
            }

            return 0;
        }

        // Warm-up: long enough for tiered compilation to reach tier 1 on every path (a quarter round, as before, left
        // much of the code at tier 0 and the JIT's own CPU inside the first measured rounds).
        for (var w = 0; w < 3; w++)
        {
            for (var c = 0; c < cases.Length; c++)
            {
                await MeasureAsync(cases[c].Call, calls);
            }
        }

        if (allocations)
        {
            // Which types each call allocates: sampled allocation ticks over 200,000 calls (no timing).
            using var sampler = new AllocationSampler();
            for (var c = 0; c < cases.Length; c++)
            {
                const int sampled = 200_000;
                sampler.Start();
                await MeasureAsync(cases[c].Call, sampled);
                sampler.Stop();
                Console.WriteLine($"{cases[c].Name}: sampled bytes per call by type");
                foreach (var (type, bytes) in sampler.Bytes.OrderByDescending(x => x.Value).Take(400))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {bytes / (double)sampled,8:F1}  {type}"));
                }
            }

            return 0;
        }

        // Interleave the cases round by round, so that load changes on the machine hit all of them alike.
        for (var r = 0; r < rounds; r++)
        {
            for (var c = 0; c < cases.Length; c++)
            {
                var (cpu, wall, bytes, pending) = await MeasureAsync(cases[c].Call, calls);
                results[c].Add((cases[c].Name, cpu, wall, bytes, pending));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"overhead: {calls:N0} sequential awaited calls per round, {rounds} rounds interleaved, median of the rounds (min-max CPU in brackets)."));
        Console.WriteLine();
        Console.WriteLine("| operation | CPU µs/call (median, [min-max]) | wall µs/call (median) | allocated B/call (median) | calls not complete on return |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        var medians = new double[cases.Length];
        var minima = new double[cases.Length];
        for (var c = 0; c < cases.Length; c++)
        {
            var cpu = results[c].Select(x => x.CpuMicros).Order().ToArray();
            var wall = results[c].Select(x => x.WallMicros).Order().ToArray();
            var bytes = results[c].Select(x => x.Bytes).Order().ToArray();
            var pending = results[c].Select(x => x.Pending).Average();
            medians[c] = cpu[cpu.Length / 2];
            minima[c] = cpu[0];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {cases[c].Name} | {medians[c]:F2} [{cpu[0]:F2}-{cpu[^1]:F2}] | {wall[wall.Length / 2]:F2} | {bytes[bytes.Length / 2]:N0} | {pending:P1} |"));
        }

        Console.WriteLine();
        foreach (var (label, v) in new[] { ("median", medians), ("minimum", minima) })
        {
            var added = v[2] - v[1];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label}: engine over the SDK adds {added:F2} µs CPU to a {v[1]:F2} µs SDK send: {100 * added / v[1]:F1}%; the engine alone costs {v[0]:F2} µs: {100 * v[0] / v[1]:F1}% of the SDK send."));
        }

        // The same round's two figures side by side: load that drifts between rounds cancels out of each ratio.
        var paired = Enumerable.Range(0, rounds).Select(r => (results[2][r].CpuMicros - results[1][r].CpuMicros) / results[1][r].CpuMicros).Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"paired by round: (engine + SDK - SDK) / SDK median {100 * paired[paired.Length / 2]:F1}% [{100 * paired[0]:F1}% to {100 * paired[^1]:F1}%]"));
        var pairedToken = Enumerable.Range(0, rounds).Select(r => (results[2][r].CpuMicros - results[3][r].CpuMicros) / results[3][r].CpuMicros).Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"paired by round, against the SDK alone with a cancellable token: median {100 * pairedToken[pairedToken.Length / 2]:F1}% [{100 * pairedToken[0]:F1}% to {100 * pairedToken[^1]:F1}%]"));
        return 0;
    }

    private static async Task<(double CpuMicros, double WallMicros, double Bytes, double Pending)> MeasureAsync(Func<Task> call, int calls)
    {
        FullGc.Collect();
        var cpu0 = ProcessCpu.Now();
        var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        var wall = Stopwatch.StartNew();
        var pending = 0;
        for (var i = 0; i < calls; i++)
        {
            var task = call();
            if (!task.IsCompleted)
            {
                pending++;
            }

            await task.ConfigureAwait(false);
        }

        wall.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
        var cpu = ProcessCpu.Now() - cpu0;
        return (cpu.TotalMicroseconds / calls, wall.Elapsed.TotalMicroseconds / calls, allocated / (double)calls, pending / (double)calls);
    }

    private sealed class NoOpProtocol : IPresenceProtocol
    {
        public PresenceProtocol Protocol => PresenceProtocol.SetPresence;

        public Task SetPresenceAsync(string userId, PresenceState state, System.Diagnostics.ActivityContext parent, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ClearPresenceAsync(string userId, System.Diagnostics.ActivityContext parent, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
