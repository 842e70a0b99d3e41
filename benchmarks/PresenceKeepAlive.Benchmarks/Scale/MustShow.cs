using System.Diagnostics;
using System.Globalization;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>
/// The <c>must-show</c> mode: every simulated figure of issue 8's "Must show" list in one go, one markdown file per
/// mode in <c>--out-dir</c> (and everything on the console). <c>--quick</c> runs small counts and short periods, to check
/// that the modes work (not figures).
/// </summary>
internal static class MustShow
{
    public static int Run(string[] args)
    {
        var dir = Cli.Value(args, "--out-dir") ?? "must-show";
        var quick = Cli.Flag(args, "--quick");
        Directory.CreateDirectory(dir);
        string Out(string name) => Path.Combine(dir, name + ".md");
        string[] hours = quick ? ["--hours", "0.34"] : ["--hours", "2"];
        var sessions = quick ? "1000" : "10000";
        var faultAt = quick ? new[] { "--fault-at", "5" } : [];
        (string Verb, Func<string[], int> Run, string[] Args)[] steps =
        [
            ("selfcheck", SimSelfCheck.Run, []),
            ("capacity", CapacityHarness.Run, [.. hours, .. quick ? new[] { "--precision", "200" } : [], "--out", Out("capacity")]),
            ("requests", CapacityHarness.Requests, ["--sessions", sessions, .. hours, "--out", Out("requests")]),
            ("faults", FaultHarness.Run, ["--sessions", sessions, .. hours, .. faultAt, "--out", Out("faults")]),
            ("retry-after-one", FaultHarness.RetryAfterOne, ["--sessions", sessions, .. hours, .. faultAt, "--out", Out("retry-after-one")]),
            ("baselines", BaselineHarness.Run, ["--sessions", quick ? "1000,1350" : "10000,13500", .. hours, "--out", Out("baselines")]),
            ("memory", RealTimerMemory.Run, ["--sessions", quick ? "10000" : "100000"]),
        ];
        var total = Stopwatch.StartNew();
        foreach (var (verb, run, stepArgs) in steps)
        {
            var wall = Stopwatch.StartNew();
            Console.WriteLine();
            var rc = run(stepArgs);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"_{verb}: {wall.Elapsed.TotalSeconds:F0} s wall_"));
            if (rc != 0)
            {
                return rc;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"_must-show: {total.Elapsed.TotalSeconds:F0} s wall in all; files in {dir}_"));
        return 0;
    }
}
