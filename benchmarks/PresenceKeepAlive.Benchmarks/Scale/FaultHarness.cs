using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>
/// The <c>faults</c> and <c>retry-after-one</c> modes: the engine at a fixed count (10,000 by default) in steady state,
/// then a fault switched on in <see cref="SimGraph"/> for a while and off again, on the simulated clock.
/// </summary>
internal static class FaultHarness
{
    private sealed record Fault(string Name, string Text, TimeSpan Duration, Action<SimGraph> On, Action<SimGraph> Off, Func<int, bool>? Affected);

    public static int Run(string[] args)
    {
        var n = Cli.Int(args, "--sessions", 10_000);
        var hours = Cli.Double(args, "--hours", 2);
        var at = TimeSpan.FromMinutes(Cli.Double(args, "--fault-at", 30));
        var brownout = TimeSpan.FromMinutes(Cli.Double(args, "--brownout-minutes", 10));
        var storm = TimeSpan.FromMinutes(Cli.Double(args, "--storm-minutes", 5));
        var stormRetryAfter = TimeSpan.FromSeconds(Cli.Double(args, "--storm-retry-after", 10));
        var hang = TimeSpan.FromMinutes(Cli.Double(args, "--hang-minutes", 10));
        var hangFraction = Cli.Double(args, "--hang-fraction", 0.1);
        var only = Cli.Value(args, "--fault")?.Split(',');
        var hangEvery = Math.Max(1, (int)Math.Round(1 / hangFraction));
        bool Hangs(int i) => i % hangEvery == 0;
        Fault[] faults =
        [
            new("brownout", string.Create(CultureInfo.InvariantCulture, $"503 brownout: every admitted request 503 for {brownout.TotalMinutes} min"), brownout, g => g.FailAll = true, g => g.FailAll = false, null),
            new("storm", string.Create(CultureInfo.InvariantCulture, $"429 storm: every request 429, Retry-After {stormRetryAfter.TotalSeconds} s, for {storm.TotalMinutes} min"), storm, g => g.ThrottleAll = stormRetryAfter, g => g.ThrottleAll = null, null),
            new("hang", string.Create(CultureInfo.InvariantCulture, $"hang: every {hangEvery}th user's requests ({1.0 / hangEvery:P0}) never answer (until cancelled, or the attempt timeout) for {hang.TotalMinutes} min"), hang, g => g.Hangs = Hangs, g => g.Hangs = null, Hangs),
        ];

        var report = new StringBuilder();
        report.AppendLine("## Faults");
        report.AppendLine();
        report.AppendLine(Cli.CommandLine("faults", args));
        report.AppendLine();
        report.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{n:N0} sessions, all Available, set at t = 0; fault from {at.TotalMinutes} min; {hours} simulated hours in all; budget users / rate = {n / 50.0:F0} s is the least recovery time; {(Cli.Flag(args, "--sdk") ? "real Graph SDK pipeline over SimGraphHandler" : "in-memory SimGraph (one attempt per send, attempt timeout " + new PresenceKeepAliveOptions().AttemptTimeout.TotalSeconds + " s for a hang)")}. Machine: {Cli.Machine()}."));
        report.AppendLine("\"Most requests in a closed 30 s window\" counts every request that reached the fake Graph (admitted or not); Graph's limit is 1,500. Recovery: from the end of the fault until every user (for the hang: the hanging ones too) has an accepted request again. Lapses, whole run; not affected: users outside the hanging subset.");
        report.AppendLine();
        report.AppendLine("| fault | most requests in a closed 30 s window: whole run / during the fault / after it | requests during the fault | 429s / 503s / hung | lapse events (all) | users ever lapsed (all) | users lapsed, not affected | engine lapses (counter) | users lapsed, never shown Lapsed | fleet backoffs (event 117) | recovery after the fault | users / rate | not recovered at end | wall s |");
        report.AppendLine("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.Write(report);

        foreach (var fault in faults)
        {
            if (only is not null && !only.Contains(fault.Name))
            {
                continue;
            }

            var spec = new SimSpec(n) { Seed = Cli.Int(args, "--seed", 1), Sdk = Cli.Flag(args, "--sdk"), Configure = Cli.OptionOverrides(args) };
            var wall = Stopwatch.StartNew();
            using var sim = new EngineSim(spec);
            var g = sim.Graph;
            sim.RunUntil(at);
            var (beforeEvents, _) = g.LapsesWhere(_ => true);
            var r0 = g.Requests;
            var t0 = (g.Throttled, g.Failed, g.Hung);
            g.MarkPhase();
            fault.On(g);
            sim.RunUntil(at + fault.Duration);
            fault.Off(g);
            var during = g.Requests - r0;
            var duringMax = g.PhaseMaxInWindow;
            var t1 = (g.Throttled - t0.Throttled, g.Failed - t0.Failed, g.Hung - t0.Hung);
            g.MarkPhase();
            sim.RunUntil(TimeSpan.FromHours(hours));
            var afterMax = g.PhaseMaxInWindow;
            var (events, users) = g.LapsesWhere(_ => true);
            var affected = fault.Affected;
            var (_, usersNotAffected) = affected is null ? (events, users) : g.LapsesWhere(i => !affected(i));
            var (recovery, missing) = g.RecoveryAfterMark();
            wall.Stop();
            var line = string.Create(CultureInfo.InvariantCulture,
                $"| {fault.Text} | {g.MaxInWindow:N0} / {duringMax:N0} / {afterMax:N0} | {during:N0} ({during / (fault.Duration.TotalSeconds / 30):N0} per 30 s) | {t1.Item1:N0} / {t1.Item2:N0} / {t1.Item3:N0} | {events:N0}{(beforeEvents > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({beforeEvents:N0} before the fault)") : string.Empty)} | {users:N0} | {(affected is null ? "n/a" : usersNotAffected.ToString("N0", CultureInfo.InvariantCulture))} | {sim.EngineLapses:N0} | {sim.HiddenLapses():N0} | {sim.Logger.BackoffEvents:N0} | {Cli.S(recovery)} | {n / 50.0:F0} s | {missing:N0} | {wall.Elapsed.TotalSeconds:F1} |");
            Console.WriteLine(line);
            report.AppendLine(line);
        }

        Write(args, report);
        return 0;
    }

    /// <summary>
    /// The <c>retry-after-one</c> mode: one user's requests answered 429 with <c>Retry-After: 600</c> for 10 minutes while
    /// the others run: lapses among the others.
    /// </summary>
    public static int RetryAfterOne(string[] args)
    {
        var n = Cli.Int(args, "--sessions", 10_000);
        var hours = Cli.Double(args, "--hours", 2);
        var at = TimeSpan.FromMinutes(Cli.Double(args, "--fault-at", 30));
        var retryAfter = TimeSpan.FromSeconds(Cli.Double(args, "--retry-after", 600));
        var duration = TimeSpan.FromSeconds(Cli.Double(args, "--throttle-seconds", retryAfter.TotalSeconds));
        var report = new StringBuilder();
        report.AppendLine("## One user throttled with a long Retry-After");
        report.AppendLine();
        report.AppendLine(Cli.CommandLine("retry-after-one", args));
        report.AppendLine();
        report.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{n:N0} other sessions plus the throttled one (user 0), all Available, set at t = 0; from {at.TotalMinutes} min every request of user 0 is answered 429 with Retry-After {retryAfter.TotalSeconds} s for {duration.TotalSeconds} s; {hours} simulated hours. Machine: {Cli.Machine()}."));
        report.AppendLine();
        report.AppendLine("| sessions | lapse events, others | users lapsed, others | lapse events, user 0 | 429s to user 0 | other 429s | most requests in a closed 30 s window | user 0 accepted again after the throttling ends | wall s |");
        report.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.Write(report);

        var wall = Stopwatch.StartNew();
        using var sim = new EngineSim(new SimSpec(n + 1) { Seed = Cli.Int(args, "--seed", 1), Sdk = Cli.Flag(args, "--sdk"), Configure = Cli.OptionOverrides(args) });
        var g = sim.Graph;
        sim.RunUntil(at);
        var throttled0 = g.Throttled;
        var overLimit0 = g.OverLimit;
        g.ThrottledUser = 0;
        g.ThrottledUserRetryAfter = retryAfter;
        g.ThrottledUserUntil = EngineSim.Start + at + duration;
        sim.RunUntil(at + duration);
        g.MarkPhase();
        sim.RunUntil(TimeSpan.FromHours(hours));
        var (others, othersUsers) = g.LapsesWhere(i => i != 0);
        var (user0, _) = g.LapsesWhere(i => i == 0);
        var overLimit = g.OverLimit - overLimit0;
        var toUser0 = g.Throttled - throttled0 - overLimit;
        var (recovery, _) = g.RecoveryAfterMark(i => i == 0);
        wall.Stop();
        var line = string.Create(CultureInfo.InvariantCulture,
            $"| {n:N0} + 1 | {others:N0} | {othersUsers:N0} | {user0:N0} | {toUser0:N0} | {overLimit:N0} | {g.MaxInWindow:N0} | {(recovery is { } r ? "after " + Cli.S(r) : "never")} | {wall.Elapsed.TotalSeconds:F1} |");
        Console.WriteLine(line);
        report.AppendLine(line);
        report.AppendLine();
        report.AppendLine("Target: zero lapses among the others.");
        Console.WriteLine();
        Console.WriteLine("Target: zero lapses among the others.");
        Write(args, report);
        return 0;
    }

    private static void Write(string[] args, StringBuilder report)
    {
        if (Cli.Value(args, "--out") is { } output)
        {
            File.WriteAllText(output, report.ToString());
        }
    }
}
