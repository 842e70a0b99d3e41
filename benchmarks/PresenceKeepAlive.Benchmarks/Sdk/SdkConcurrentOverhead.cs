using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Benchmarks.Sdk;

/// <summary>
/// The <c>overhead-concurrent</c> mode: refreshes at scale on real threads. The engine keeps <c>sessions</c> sessions
/// alive with a short <c>SessionTimeout</c> (so that they refresh about once a second each) through the real SDK
/// pipeline, over a handler that answers after a real delay (many sends in flight, completions on pool threads); the
/// comparison sends the same number of requests a second through the same pipeline with no engine, started evenly by
/// one periodic timer. Both measure process CPU per request over the same wall time, in interleaved rounds, each in a
/// fresh container.
/// </summary>
internal static class SdkConcurrentOverhead
{
    public static async Task<int> RunAsync(string[] args)
    {
        var sessions = 4000;
        var seconds = 6.0;
        var rounds = 5;
        var latency = TimeSpan.FromMilliseconds(20);
        var timeout = TimeSpan.FromSeconds(1);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--sessions":
                    sessions = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--seconds":
                    seconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--rounds":
                    rounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--latency-ms":
                    latency = TimeSpan.FromMilliseconds(double.Parse(args[++i], CultureInfo.InvariantCulture));
                    break;
                case "--timeout":
                    timeout = TimeSpan.FromSeconds(double.Parse(args[++i], CultureInfo.InvariantCulture));
                    break;
            }
        }

        var engine = new List<(double CpuMicros, double Rate)>();
        var sdk = new List<(double CpuMicros, double Rate)>();
        for (var r = 0; r <= rounds; r++)
        {
            // Round 0 warms both up (JIT) and is not counted.
            var e = await EngineRoundAsync(sessions, seconds, latency, timeout);
            var s = await SdkRoundAsync(e.Rate, sessions, seconds, latency);
            if (r > 0)
            {
                engine.Add(e);
                sdk.Add(s);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"overhead-concurrent: {sessions:N0} sessions, SessionTimeout {timeout.TotalSeconds:0.###} s (a refresh every {(timeout - (timeout / 12)).TotalMilliseconds:N0} ms each), handler latency {latency.TotalMilliseconds:0} ms, {seconds:0.#} s per round, {rounds} rounds interleaved, fresh container each."));
        Console.WriteLine();
        Console.WriteLine("| operation | requests/s (median) | CPU µs/request (median, [min-max]) |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (name, list) in new[] { ("engine + SDK: refreshes of the kept sessions", engine), ("SDK alone: the same rate, evenly started by one timer", sdk) })
        {
            var cpu = list.Select(x => x.CpuMicros).Order().ToArray();
            var rate = list.Select(x => x.Rate).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {rate[rate.Length / 2]:N0} | {cpu[cpu.Length / 2]:F2} [{cpu[0]:F2}-{cpu[^1]:F2}] |"));
        }

        var paired = engine.Zip(sdk, (e, s) => (e.CpuMicros - s.CpuMicros) / s.CpuMicros).Order().ToArray();
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"paired by round: (engine + SDK - SDK) / SDK median {100 * paired[paired.Length / 2]:F1}% [{100 * paired[0]:F1}% to {100 * paired[^1]:F1}%]"));
        return 0;
    }

    private static Action<PresenceKeepAliveOptions> Lifted(TimeSpan timeout) => o =>
    {
        // Far above the rate the round sends (the gate's log is one long per place: a fresh container per round must not
        // hold gigabytes).
        o.RateLimitPerWindow = 1_000_000;
        o.RateLimitWindow = TimeSpan.FromSeconds(1);
        o.SessionTimeout = timeout;
        o.Lease = TimeSpan.FromMinutes(5);
    };

    private static async Task<(double CpuMicros, double Rate)> EngineRoundAsync(int sessions, double seconds, TimeSpan latency, TimeSpan timeout)
    {
        var handler = new DelayedOkHandler(latency);
        await using var services = SdkServices.Build(() => handler, TimeProvider.System, Lifted(timeout));
        var manager = services.GetRequiredService<IPresenceSessionManager>();
        var period = timeout - (timeout / 12);

        // Started evenly over one refresh period, so that the refreshes are spread as the comparison's sends are.
        var sets = new List<Task>(sessions);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < sessions; i++)
        {
            var at = period * i / sessions;
            var wait = at - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.FromMilliseconds(2))
            {
                await Task.Delay(wait);
            }

            sets.Add(manager.GetOrCreate("user" + i.ToString(CultureInfo.InvariantCulture) + "@contoso.com").SetAsync(PresenceState.Available));
        }

        await Task.WhenAll(sets);
        await Task.Delay(period * 2);
        var result = await MeasureAsync(handler, seconds);
        return result;
    }

    private static async Task<(double CpuMicros, double Rate)> SdkRoundAsync(double rate, int users, double seconds, TimeSpan latency)
    {
        var handler = new DelayedOkHandler(latency);
        await using var services = SdkServices.Build(() => handler, TimeProvider.System, Lifted(TimeSpan.FromMinutes(5)));
        var protocol = services.GetRequiredService<IPresenceProtocol>();
        var ids = Enumerable.Range(0, users).Select(i => "user" + i.ToString(CultureInfo.InvariantCulture) + "@contoso.com").ToArray();
        using var stop = new CancellationTokenSource();
        var driver = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
            var started = Stopwatch.GetTimestamp();
            long launched = 0;
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    var due = (long)(rate * Stopwatch.GetElapsedTime(started).TotalSeconds);
                    for (; launched < due; launched++)
                    {
                        _ = SendAsync(protocol, ids[launched % ids.Length]);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The round is over.
            }
        });

        await Task.Delay(TimeSpan.FromSeconds(1));
        var result = await MeasureAsync(handler, seconds);
        await stop.CancelAsync();
        await driver;
        await Task.Delay(latency * 4);
        return result;

        static async Task SendAsync(IPresenceProtocol protocol, string user)
        {
            try
            {
                await protocol.SetPresenceAsync(user, PresenceState.Available, default, CancellationToken.None).ConfigureAwait(false);
            }
            catch (PresenceRequestException)
            {
                // Not expected from the in-memory 200; counted by its absence from the handler's requests.
            }
        }
    }

    private static async Task<(double CpuMicros, double Rate)> MeasureAsync(DelayedOkHandler handler, double seconds)
    {
        var cpu0 = ProcessCpu.Now();
        var requests0 = handler.Requests;
        var wall = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var requests = handler.Requests - requests0;
        var cpu = ProcessCpu.Now() - cpu0;
        wall.Stop();
        return (cpu.TotalMicroseconds / Math.Max(1, requests), requests / wall.Elapsed.TotalSeconds);
    }
}
