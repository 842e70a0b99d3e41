using System.Globalization;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>
/// The <c>selfcheck</c> mode: checks that <see cref="SimGraph"/> and <see cref="SimTimeProvider"/> keep Graph's rules
/// exactly at the edges (closed windows, fading at the exact tick, hangs, random failures), so that the figures of the
/// other modes rest on a strict model. Exits 1 when a check fails.
/// </summary>
internal static class SimSelfCheck
{
    public static int Run(string[] args)
    {
        _ = args;
        var failures = 0;
        void Check(bool ok, string what)
        {
            Console.WriteLine((ok ? "ok   " : "FAIL ") + what);
            if (!ok)
            {
                failures++;
            }
        }

        var start = EngineSim.Start;
        var window = TimeSpan.FromSeconds(30);

        // Rate limit on a closed window, and the exact most-in-any-window measurement.
        {
            var time = new SimTimeProvider(start);
            var users = Enumerable.Range(0, 2_000).Select(i => "user" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            var g = new SimGraph(time, users, 1_500, window, TimeSpan.FromMinutes(5));
            var admitted = 0;
            for (var i = 0; i < 1_501; i++)
            {
                admitted += g.Decide(users[i], PresenceState.Available, clear: false, out _) == SimOutcome.Accepted ? 1 : 0;
            }

            Check(admitted == 1_500 && g.OverLimit == 1, "1,501 requests in one instant: 1,500 admitted, 1 answered 429");
            time.RunUntil(start + window);
            Check(g.Decide(users[1_501], PresenceState.Available, false, out var retryAfter) == SimOutcome.Throttled && retryAfter == SimGraph.RetryAfter,
                "a request exactly 30 s later still shares the closed window: 429 with Retry-After 1 s");
            time.RunUntil(start + window + TimeSpan.FromTicks(1));
            Check(g.Decide(users[1_502], PresenceState.Available, false, out _) == SimOutcome.Accepted, "one tick later the first 1,500 have left the window: admitted");
            Check(g.MaxInWindow == 1_502, string.Create(CultureInfo.InvariantCulture, $"most requests in a closed 30 s window = 1,502 (t0 × 1,501 + t0+30 s × 1): {g.MaxInWindow:N0}"));
        }

        // Fading: Available at min(SessionTimeout, Lease), other states at Lease, to the tick.
        {
            var time = new SimTimeProvider(start);
            string[] users = ["a", "b", "c", "d"];
            var g = new SimGraph(time, users, 1_500, window, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30));
            foreach (var u in users)
            {
                g.Decide(u, u is "a" or "b" ? PresenceState.Available : PresenceState.BusyInACall, false, out _);
            }

            time.RunUntil(start + TimeSpan.FromMinutes(5));
            g.Decide("a", PresenceState.Available, false, out _);
            var afterA = g.LapseEvents;
            time.RunUntil(start + TimeSpan.FromMinutes(5) + TimeSpan.FromTicks(1));
            g.Decide("b", PresenceState.Available, false, out _);
            var afterB = g.LapseEvents;
            time.RunUntil(start + TimeSpan.FromMinutes(30));
            g.Decide("c", PresenceState.BusyInACall, false, out _);
            var afterC = g.LapseEvents;
            time.RunUntil(start + TimeSpan.FromMinutes(30) + TimeSpan.FromTicks(1));
            g.Decide("d", PresenceState.BusyInACall, false, out _);
            var afterD = g.LapseEvents;
            Check(afterA == 0 && afterB == 1, "Available: a refresh at exactly 300 s keeps the session, one tick later is a lapse");
            Check(afterC == 1 && afterD == 2, "Busy with Lease PT30M: a refresh at exactly 30 min keeps it, one tick later is a lapse");
            Check(g.WorstGapAvailable == TimeSpan.FromMinutes(5).Ticks + 1 && g.WorstGapOther == TimeSpan.FromMinutes(30).Ticks + 1, "worst gaps per class, exact");
        }

        // A hang ends at the attempt timeout (simulated), or at once on cancellation.
        {
            var time = new SimTimeProvider(start);
            string[] users = ["h"];
            var g = new SimGraph(time, users, 1_500, window, TimeSpan.FromMinutes(5)) { Hangs = _ => true, HangTimeout = TimeSpan.FromSeconds(20) };
            var hung = g.SetPresenceAsync("h", PresenceState.Available, default, CancellationToken.None);
            time.RunUntil(start + TimeSpan.FromSeconds(20) - TimeSpan.FromTicks(1));
            var pending = !hung.IsCompleted;
            time.RunUntil(start + TimeSpan.FromSeconds(20));
            Check(pending && hung.IsFaulted && hung.Exception!.InnerException is PresenceRequestException { IsTransient: true, StatusCode: null },
                "a hung request fails as a transient timeout at exactly the attempt timeout");
            using var cts = new CancellationTokenSource();
            var cancelled = g.SetPresenceAsync("h", PresenceState.Available, default, cts.Token);
            cts.Cancel();
            Check(cancelled.IsCanceled, "a hung request ends at once when its caller cancels");
        }

        // Random failures at the configured rate (seeded), 503 and admitted.
        {
            var time = new SimTimeProvider(start);
            string[] users = ["r"];
            var g = new SimGraph(time, users, 200_000, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)) { FailureRate = 0.01, Seed = 7 };
            for (var i = 0; i < 100_000; i++)
            {
                g.Decide("r", PresenceState.Available, false, out _);
            }

            Check(g.Failed is > 900 and < 1_100, string.Create(CultureInfo.InvariantCulture, $"1% random 503s: {g.Failed:N0} of 100,000"));
        }

        Console.WriteLine(failures == 0 ? "all checks passed" : string.Create(CultureInfo.InvariantCulture, $"{failures} check(s) failed"));
        return failures == 0 ? 0 : 1;
    }
}
