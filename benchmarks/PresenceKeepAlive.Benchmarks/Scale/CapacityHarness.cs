using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>
/// The <c>capacity</c> mode: the largest session count with zero lapses over the simulated period, by bisection, for
/// one scenario (clean service; random 503s; contact-centre mix), and the smallest count at which the over-capacity
/// warning fires, by a second bisection. Also the <c>requests</c> mode: requests per session-hour at a fixed count
/// against the minimum the engine's margin allows.
/// </summary>
internal static class CapacityHarness
{
    private sealed record Scenario(string Name, SimMix Mix, double FailureRate, string Text);

    public static int Run(string[] args)
    {
        var hours = Cli.Double(args, "--hours", 2);
        var low = Cli.Int(args, "--low", 1_000);
        var high = Cli.Int(args, "--high", 0);
        var precision = Math.Max(1, Cli.Int(args, "--precision", 10));
        var failureRate = Cli.Double(args, "--failure-rate", 0.01);
        var seed = Cli.Int(args, "--seed", 1);
        var sdk = Cli.Flag(args, "--sdk");
        var name = Cli.Value(args, "--scenario") ?? "all";
        var configure = Cli.OptionOverrides(args);
        var lateStarts = Cli.Flag(args, "--count-late-starts");
        Scenario[] all =
        [
            new("clean", SimMix.Available, 0, "(a) clean service, " + SimSpec.Describe(SimMix.Available)),
            new("failures", SimMix.Available, failureRate, string.Create(CultureInfo.InvariantCulture, $"(b) {failureRate:P1} random 503s on every request, {SimSpec.Describe(SimMix.Available)}")),
            new("contact-centre", SimMix.ContactCentre, 0, "(c) clean service, " + SimSpec.Describe(SimMix.ContactCentre)),
        ];
        var scenarios = name == "all" ? all : all.Where(s => s.Name == name).ToArray();
        if (scenarios.Length == 0)
        {
            Console.Error.WriteLine("--scenario clean|failures|contact-centre|all");
            return 1;
        }

        var wall = Stopwatch.StartNew();
        var report = new StringBuilder();
        report.AppendLine("## Zero-lapse capacity");
        report.AppendLine();
        report.AppendLine(Cli.CommandLine("capacity", args));
        report.AppendLine();
        var defaults = new SimSpec(1) { Configure = configure }.Options();
        report.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{hours} simulated hours per run (requests/session/h: steady state from {SimRun.SteadyStart(hours).TotalMinutes:F1} min on); all sessions set at t = 0; budget {defaults.RateLimitPerWindow}/{defaults.RateLimitWindow.TotalSeconds} s; SessionTimeout {defaults.SessionTimeout}; seed {seed}; protocol {(sdk ? "real Graph SDK pipeline over SimGraphHandler" : "in-memory SimGraph")}; bisection to {precision} sessions. Machine: {Cli.Machine()}."));
        report.AppendLine("A lapse: a gap between two accepted requests of one user longer than the state's allowance (Available: min(SessionTimeout, Lease); others: Lease), or a user past it at the end. The first accept is reported separately (late starts: first accept > SessionTimeout after t = 0)" + (lateStarts ? "; with --count-late-starts a late start is a lapse too." : "; --count-late-starts makes a late start a lapse too (start-up then bounds every mix at budget rate × SessionTimeout)."));
        report.AppendLine();
        Console.Write(report);

        var summary = new List<(Scenario Scenario, int Capacity, SimResult? AtCapacity, int? WarnAt)>();
        foreach (var scenario in scenarios)
        {
            SimSpec Spec(int n) => new(n) { Mix = scenario.Mix, FailureRate = scenario.FailureRate, Seed = seed, Sdk = sdk, Configure = configure, LateStartIsLapse = lateStarts };
            var runs = new SortedDictionary<int, SimResult>();
            SimResult At(int n)
            {
                if (!runs.TryGetValue(n, out var r))
                {
                    r = SimRun.Steady(Spec(n), hours);
                    runs[n] = r;
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{scenario.Name}] {n,7:N0}: lapses {r.LapseEvents:N0}, worst gap {r.WorstGapAvailable.TotalSeconds:F1} s, warned {(r.Warned ? "yes" : "no")}, {r.WallSeconds:F1} s wall"));
                }

                return r;
            }

            var ideal = IdealCapacity(Spec(1));
            var hi = high > 0 ? high : (int)(ideal * 1.25);
            var lo = low;
            int capacity;
            while (!At(lo).ZeroLapse && lo > 1)
            {
                hi = lo;
                lo /= 2;
            }

            if (!At(lo).ZeroLapse)
            {
                capacity = 0;
            }
            else
            {
                while (At(hi).ZeroLapse && hi < 10 * ideal)
                {
                    lo = hi;
                    hi *= 2;
                }

                while (hi - lo > precision)
                {
                    var mid = lo + ((hi - lo) / 2);
                    if (At(mid).ZeroLapse)
                    {
                        lo = mid;
                    }
                    else
                    {
                        hi = mid;
                    }
                }

                capacity = lo;

                // Bisection assumes monotony: check a few counts below.
                _ = At((int)(capacity * 0.99));
                _ = At((int)(capacity * 0.95));
            }

            // The smallest count that warns: bounds from the runs so far, then bisection.
            int? warnAt = null;
            var warnedRuns = runs.Where(r => r.Value.Warned).Select(r => r.Key).ToList();
            if (warnedRuns.Count > 0)
            {
                var whi = warnedRuns.Min();
                var silent = runs.Where(r => !r.Value.Warned && r.Key < whi).Select(r => r.Key).DefaultIfEmpty(0).Max();
                var wlo = silent;
                while (whi - wlo > precision)
                {
                    var mid = wlo + ((whi - wlo) / 2);
                    if (At(mid).Warned)
                    {
                        whi = mid;
                    }
                    else
                    {
                        wlo = mid;
                    }
                }

                warnAt = whi;
            }

            var atCapacity = capacity > 0 ? At(capacity) : null;
            summary.Add((scenario, capacity, atCapacity, warnAt));

            var table = new StringBuilder();
            table.AppendLine(CultureInfo.InvariantCulture, $"### {scenario.Text}");
            table.AppendLine();
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"Ideal with the engine's margin of {EngineMargin(Spec(1)).TotalSeconds:F0} s (budget rate × mean (allowance − margin)): {ideal:N0} sessions; physical limit (budget rate × mean allowance): {PhysicalCapacity(Spec(1)):N0}."));
            table.AppendLine();
            table.AppendLine("| sessions | zero lapse | lapse events | users ever lapsed | engine lapses | late starts | worst first accept | worst gap Available | worst gap other | requests/session/h (steady) | 429s | most requests in a closed 30 s window | warning (event 109 / over_capacity) | wall s |");
            table.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
            foreach (var (n, r) in runs)
            {
                table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {n:N0}{(n == capacity ? " **(capacity)**" : string.Empty)} | {(r.ZeroLapse ? "yes" : "no")} | {r.LapseEvents:N0} | {r.UsersLapsed:N0} | {r.EngineLapses:N0} | {r.LateStarts:N0} | {Cli.S(r.WorstFirstAccept)} | {Cli.S(r.WorstGapAvailable)} | {(r.WorstGapOther > TimeSpan.Zero ? Cli.S(r.WorstGapOther) : "—")} | {r.SteadyRequestsPerSessionHour:F2} | {r.Throttled:N0} | {r.MaxInWindow:N0} | {r.WarningText} | {r.WallSeconds:F1} |"));
            }

            table.AppendLine();
            table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"**Capacity: {capacity:N0} sessions** with zero lapses over {hours} h"));
            if (atCapacity is not null)
            {
                table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"(worst gap between accepted refreshes {Cli.S(atCapacity.WorstGapAvailable)} Available{(atCapacity.WorstGapOther > TimeSpan.Zero ? ", " + Cli.S(atCapacity.WorstGapOther) + " other" : string.Empty)}; {atCapacity.SteadyRequestsPerSessionHour:F2} requests per session-hour in steady state{(scenario.Mix == SimMix.ContactCentre ? string.Create(CultureInfo.InvariantCulture, $": Available {atCapacity.SteadyAvailablePerSessionHour:F2}, Busy {atCapacity.SteadyOtherPerSessionHour:F2}") : string.Empty)}; most requests in a closed 30 s window {atCapacity.MaxInWindow:N0})."));
            }

            table.AppendLine(warnAt is { } w
                ? string.Create(CultureInfo.InvariantCulture, $"Warning: fires from **{w:N0} sessions** on (± {precision}), {(capacity > 0 ? (w - capacity) / (double)capacity : double.NaN):+0.0%;-0.0%} against the capacity; target: within 5% below it and not above capacity + 1 ({(capacity > 0 && w <= capacity + precision && w >= capacity * 0.95 ? "met" : "not met")}).")
                : "Warning: did not fire at any count run.");
            if (runs.Values.FirstOrDefault(r => r.WarningMessage is not null)?.WarningMessage is { } text)
            {
                table.AppendLine();
                table.AppendLine("> " + text);
            }

            table.AppendLine();
            Console.Write(table);
            report.Append(table);
        }

        if (summary.Count > 1)
        {
            var t = new StringBuilder();
            t.AppendLine("### Summary");
            t.AppendLine();
            t.AppendLine("| scenario | capacity | worst gap Available at capacity | requests/session/h at capacity | warning from | target |");
            t.AppendLine("|---|---:|---:|---:|---:|---|");
            foreach (var (s, c, r, w) in summary)
            {
                var target = s.Name switch
                {
                    "clean" => ">= 13,500 sessions, worst gap <= 280 s",
                    "failures" => ">= 13,000 sessions",
                    _ => ">= 1.65 × (a)",
                };
                t.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {s.Text} | {c:N0} | {Cli.S(r?.WorstGapAvailable)} | {r?.SteadyRequestsPerSessionHour:F2} | {(w is { } x ? x.ToString("N0", CultureInfo.InvariantCulture) : "never")} | {target} |"));
            }

            var clean = summary.FirstOrDefault(x => x.Scenario.Name == "clean");
            var mix = summary.FirstOrDefault(x => x.Scenario.Name == "contact-centre");
            if (clean.Capacity > 0 && mix.Capacity > 0)
            {
                t.AppendLine();
                t.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Ratio (c)/(a): **{mix.Capacity / (double)clean.Capacity:F3}** (target >= 1.65; ideal for this mix {IdealCapacity(new SimSpec(1) { Mix = SimMix.ContactCentre, Configure = configure }) / (double)IdealCapacity(new SimSpec(1) { Configure = configure }):F3})."));
            }

            t.AppendLine();
            Console.Write(t);
            report.Append(t);
        }

        var footer = string.Create(CultureInfo.InvariantCulture, $"Total wall time: {wall.Elapsed.TotalSeconds:F0} s.");
        Console.WriteLine(footer);
        report.AppendLine(footer);
        if (Cli.Value(args, "--out") is { } output)
        {
            File.WriteAllText(output, report.ToString());
        }

        return 0;
    }

    /// <summary>The <c>requests</c> mode: requests per session-hour at a fixed count against the minimum the margin allows.</summary>
    public static int Requests(string[] args)
    {
        var hours = Cli.Double(args, "--hours", 2);
        var sizes = Cli.Ints(args, "--sessions", [10_000]);
        var seed = Cli.Int(args, "--seed", 1);
        var sdk = Cli.Flag(args, "--sdk");
        var configure = Cli.OptionOverrides(args);
        var report = new StringBuilder();
        report.AppendLine("## Requests per session-hour against the minimum the margin allows");
        report.AppendLine();
        report.AppendLine(Cli.CommandLine("requests", args));
        report.AppendLine();
        report.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{hours} simulated hours; all sessions set at t = 0; steady state measured from {SimRun.SteadyStart(hours).TotalMinutes:F1} min to the end; minimum = 3600 / (allowance − margin) per session; seed {seed}. Machine: {Cli.Machine()}."));
        report.AppendLine();
        report.AppendLine("| sessions | mix | margin (engine) | minimum requests/session/h | measured, steady | ratio | measured, whole run (incl. first sets) | Available: minimum / measured | Busy: minimum / measured | lapse events | 429s | wall s |");
        report.AppendLine("|---:|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|");
        Console.Write(report);
        foreach (var n in sizes)
        {
            foreach (var mix in new[] { SimMix.Available, SimMix.ContactCentre })
            {
                var spec = new SimSpec(n) { Mix = mix, Seed = seed, Sdk = sdk, Configure = configure };
                var r = SimRun.Steady(spec, hours);
                var margin = EngineMargin(spec);
                var options = spec.Options();
                var availableMin = 3600 / (Allowance(options, available: true) - margin).TotalSeconds;
                var otherMin = 3600 / (Allowance(options, available: false) - margin).TotalSeconds;
                var min = mix == SimMix.ContactCentre ? (availableMin + otherMin) / 2 : availableMin;
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"| {n:N0} | {SimSpec.Describe(mix)} | {margin.TotalSeconds:F0} s | {min:F2} | {r.SteadyRequestsPerSessionHour:F2} | {r.SteadyRequestsPerSessionHour / min:F3} | {r.RequestsPerSessionHour:F2} | {availableMin:F2} / {r.SteadyAvailablePerSessionHour:F2} | {(mix == SimMix.ContactCentre ? string.Create(CultureInfo.InvariantCulture, $"{otherMin:F2} / {r.SteadyOtherPerSessionHour:F2}") : "—")} | {r.LapseEvents:N0} | {r.Throttled:N0} | {r.WallSeconds:F1} |");
                Console.WriteLine(line);
                report.AppendLine(line);
            }
        }

        report.AppendLine();
        report.AppendLine("Target: measured within 5% of the minimum (ratio <= 1.05).");
        Console.WriteLine();
        Console.WriteLine("Target: measured within 5% of the minimum (ratio <= 1.05).");
        if (Cli.Value(args, "--out") is { } output)
        {
            File.WriteAllText(output, report.ToString());
        }

        return 0;
    }

    /// <summary>The margin as the engine reads the options (its own settings type).</summary>
    public static TimeSpan EngineMargin(SimSpec spec) => new PresenceKeepAlive.KeepAlive.Internal.KeepAliveSettings(spec.Options()).RefreshMargin;

    /// <summary>How long an accepted request keeps a session: Available min(SessionTimeout, Lease), others Lease (SetPresence).</summary>
    public static TimeSpan Allowance(PresenceKeepAliveOptions options, bool available) =>
        available || options.AllStatesTimeOut
            ? (options.SessionTimeout < options.Lease ? options.SessionTimeout : options.Lease)
            : options.Lease;

    /// <summary>Budget rate × mean (allowance − margin): what a perfect planner with this margin could carry.</summary>
    public static int IdealCapacity(SimSpec spec)
    {
        var o = spec.Options();
        var rate = o.RateLimitPerWindow / o.RateLimitWindow.TotalSeconds;
        var margin = EngineMargin(spec);
        var perSecond = spec.Mix == SimMix.ContactCentre
            ? (0.5 / (Allowance(o, true) - margin).TotalSeconds) + (0.5 / (Allowance(o, false) - margin).TotalSeconds)
            : 1 / (Allowance(o, true) - margin).TotalSeconds;
        return (int)(rate / perSecond);
    }

    /// <summary>Budget rate × mean allowance: no margin at all.</summary>
    public static int PhysicalCapacity(SimSpec spec)
    {
        var o = spec.Options();
        var rate = o.RateLimitPerWindow / o.RateLimitWindow.TotalSeconds;
        var perSecond = spec.Mix == SimMix.ContactCentre
            ? (0.5 / Allowance(o, true).TotalSeconds) + (0.5 / Allowance(o, false).TotalSeconds)
            : 1 / Allowance(o, true).TotalSeconds;
        return (int)(rate / perSecond);
    }
}
