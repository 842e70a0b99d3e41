using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using PresenceKeepAlive.Benchmarks.Sdk;
using PresenceKeepAlive.Emulator;

namespace PresenceKeepAlive.Benchmarks.EndToEnd;

/// <summary>
/// End to end over loopback HTTP: N sessions through <c>AddPresenceSession</c> (real HTTP pipeline and
/// <c>SocketsHttpHandler</c>) against the in-process emulator, with the emulator's clock and the library's timings
/// scaled by the same factor, for a bounded wall-clock time. Counts what the emulator saw.
/// </summary>
internal static class EmulatorEndToEnd
{
    private const int MaxSessions = 5_000;
    private static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(2);

    public static async Task<int> RunAsync(string[] args)
    {
        var n = 1_000;
        var duration = TimeSpan.FromSeconds(40);
        var timeScale = 60.0;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--sessions":
                    n = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--seconds":
                    duration = TimeSpan.FromSeconds(double.Parse(args[++i], CultureInfo.InvariantCulture));
                    break;
                case "--time-scale":
                    timeScale = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
            }
        }

        if (n is < 1 or > MaxSessions || duration <= TimeSpan.Zero || duration > MaxDuration || timeScale is < 1 or > 600)
        {
            Console.Error.WriteLine($"e2e: --sessions must be 1..{MaxSessions}, --seconds 1..{MaxDuration.TotalSeconds}, --time-scale 1..600.");
            return 1;
        }

        // Graph's timings in emulated time, the library's in real time: divide by the same scale.
        TimeSpan Real(TimeSpan emulated) => emulated / timeScale;

        await using var emulator = await PresenceEmulator.StartAsync(new PresenceEmulatorOptions { TimeScale = timeScale });
        await using var services = SdkServices.Build(primary: null, TimeProvider.System, o =>
        {
            o.BaseUrl = emulator.GraphV1Url.ToString();
            o.SessionTimeout = Real(TimeSpan.FromMinutes(5));
            o.RefreshInterval = Real(TimeSpan.FromMinutes(4));
            o.RateLimitWindow = Real(TimeSpan.FromSeconds(30));
            o.RateLimitPerWindow = 1_500;
            o.Lease = TimeSpan.FromMinutes(15); // sent to the emulator, which reads it in emulated time
            o.MaxRetryAttempts = 2;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(200);
            o.RetryMaxDelay = TimeSpan.FromSeconds(1);
            o.AttemptTimeout = TimeSpan.FromSeconds(2);
            o.TotalRequestTimeout = TimeSpan.FromSeconds(4);
        });

        var manager = services.GetRequiredService<IPresenceSessionManager>();
        var engineLapses = 0;
        var engineFailures = 0;
        manager.StatusChanged += (_, e) =>
        {
            if (e.Status == PresenceSessionStatus.Lapsed)
            {
                Interlocked.Increment(ref engineLapses);
            }
            else if (e.Status == PresenceSessionStatus.Failed)
            {
                Interlocked.Increment(ref engineFailures);
            }
        };

        var users = new string[n];
        for (var i = 0; i < n; i++)
        {
            users[i] = "user" + i.ToString(CultureInfo.InvariantCulture) + "@contoso.com";
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"e2e: {n:N0} sessions, {duration.TotalSeconds} s wall, emulator {emulator.GraphV1Url} TimeScale {timeScale} (5 min timeout = {Real(TimeSpan.FromMinutes(5)).TotalSeconds:F2} s), refresh {Real(TimeSpan.FromMinutes(4)).TotalSeconds:F2} s - jitter {Real(TimeSpan.FromSeconds(30)).TotalSeconds:F2} s, budget 1,500/{Real(TimeSpan.FromSeconds(30)).TotalSeconds:F2} s."));

        // Everyone Available: only Available fades (AvailableInactive), so every lapse shows in the emulator's history.
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(users.Select(u => manager.GetOrCreate(u).SetAsync(PresenceState.Available)));
        var startup = wall.Elapsed;

        // Steady state: from the moment every session is set until the end of the run.
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var alloc0 = GC.GetTotalAllocatedBytes(precise: false);
        var requests0 = emulator.Counters.TotalRequests;
        var gc0 = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
        var steady = Stopwatch.StartNew();

        var remaining = duration - wall.Elapsed;
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining);
        }

        steady.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - alloc0;
        var requests = emulator.Counters.TotalRequests - requests0;
        var gcs = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2) - gc0;

        // Lapses as the emulator saw them: changes of a kept-alive user's presence to Available/AvailableInactive.
        var lapseEntries = 0;
        var usersLapsed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var change in emulator.GetHistory())
        {
            if (string.Equals(change.Activity, "AvailableInactive", StringComparison.OrdinalIgnoreCase))
            {
                lapseEntries++;
                usersLapsed.Add(change.UserId);
            }
        }

        var available = users.Count(u => emulator.GetPresence(u) is { Availability: "Available", Activity: "Available" });
        var total = emulator.Counters.TotalRequests;
        var perRequest = Math.Max(1, requests);

        Console.WriteLine();
        Console.WriteLine("| sessions | wall s (start-up s) | requests (all) | requests/s (steady) | 429s (all) | lapse entries in emulator history | users ever AvailableInactive | Available/Available at end | engine Lapsed / Failed events | process CPU µs/request (steady; client + emulator) | process CPU % of 2 cores | alloc B/request (steady; client + emulator) | GCs (steady) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {n:N0} | {wall.Elapsed.TotalSeconds:F1} ({startup.TotalSeconds:F2}) | {total:N0} | {requests / steady.Elapsed.TotalSeconds:N1} | {emulator.Counters.ThrottledRequests:N0} | {lapseEntries:N0} | {usersLapsed.Count:N0} | {available:N0} | {engineLapses:N0} / {engineFailures:N0} | {cpu.TotalMicroseconds / perRequest:N0} | {100 * cpu / steady.Elapsed / Environment.ProcessorCount:F0} | {allocated / perRequest:N0} | {gcs:N0} |"));
        return 0;
    }
}
