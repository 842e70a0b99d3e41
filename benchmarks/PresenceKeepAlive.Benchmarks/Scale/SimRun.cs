using System.Globalization;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>What one steady run (no fault switched on or off) measured.</summary>
internal sealed record SimResult(
    int Sessions,
    double Hours,
    long Requests,
    long Accepted,
    long Throttled,
    long OverLimit,
    long Failed,
    long LapseEvents,
    int UsersLapsed,
    long EngineLapses,
    int LateStarts,
    TimeSpan WorstFirstAccept,
    TimeSpan WorstGapAvailable,
    TimeSpan WorstGapOther,
    int MaxInWindow,
    double RequestsPerSessionHour,
    double SteadyRequestsPerSessionHour,
    double SteadyAvailablePerSessionHour,
    double SteadyOtherPerSessionHour,
    long Warnings,
    TimeSpan? FirstWarningAt,
    int SessionsAtFirstWarning,
    string? WarningMessage,
    double WallSeconds)
{
    public bool ZeroLapse => LapseEvents == 0 && UsersLapsed == 0;

    public bool Warned => Warnings > 0;

    public string WarningText => Warned
        ? string.Create(CultureInfo.InvariantCulture, $"yes, at {FirstWarningAt!.Value.TotalSeconds:F0} s ({SessionsAtFirstWarning:N0} sessions created)")
        : "no";
}

/// <summary>Runs the engine for a simulated period with nothing switched during the run, and summarizes it.</summary>
internal static class SimRun
{
    /// <summary>Steady-state figures are taken from this point on (the start-up burst of first sets excluded).</summary>
    public static readonly TimeSpan SteadyFrom = TimeSpan.FromMinutes(30);

    /// <summary>Where the steady state starts in a run of <paramref name="hours"/>: 30 min, or half the run when shorter than an hour.</summary>
    public static TimeSpan SteadyStart(double hours) => TimeSpan.FromHours(hours) > SteadyFrom * 2 ? SteadyFrom : TimeSpan.FromHours(hours) / 2;

    public static SimResult Steady(SimSpec spec, double hours)
    {
        using var sim = new EngineSim(spec);
        var end = TimeSpan.FromHours(hours);
        var steadyFrom = SteadyStart(hours);
        sim.RunUntil(steadyFrom);
        var r0 = sim.Graph.Requests;
        var a0 = sim.Graph.RequestsAvailable;
        var o0 = sim.Graph.RequestsOther;
        sim.RunUntil(end);
        return Summarize(sim, hours, r0, a0, o0, steadyFrom);
    }

    public static SimResult Summarize(EngineSim sim, double hours, long r0, long a0, long o0, TimeSpan steadyFrom)
    {
        var g = sim.Graph;
        var (open, usersLapsed) = g.Finish();
        var n = sim.Spec.Sessions;
        var steadyHours = hours - steadyFrom.TotalHours;
        var available = sim.Spec.Mix == SimMix.ContactCentre ? (n + 1) / 2 : n;
        var other = n - available;
        return new SimResult(
            n,
            hours,
            g.Requests,
            g.Accepted,
            g.Throttled,
            g.OverLimit,
            g.Failed,
            g.LapseEvents + open,
            usersLapsed,
            sim.EngineLapses,
            g.LateStarts,
            TimeSpan.FromTicks(g.WorstFirstAccept),
            TimeSpan.FromTicks(g.WorstGapAvailable),
            TimeSpan.FromTicks(g.WorstGapOther),
            g.MaxInWindow,
            g.Requests / (double)n / hours,
            (g.Requests - r0) / (double)n / steadyHours,
            available == 0 ? 0 : (g.RequestsAvailable - a0) / (double)available / steadyHours,
            other == 0 ? 0 : (g.RequestsOther - o0) / (double)other / steadyHours,
            sim.Warnings,
            sim.FirstWarningAt,
            sim.SessionsAtFirstWarning,
            sim.Logger.OverCapacityMessage,
            sim.WallSeconds);
    }
}

/// <summary>Small helpers shared by the harness modes.</summary>
internal static class Cli
{
    public static string CommandLine(string verb, string[] args) =>
        "`dotnet run -c Release --project benchmarks/PresenceKeepAlive.Benchmarks -- " + string.Join(' ', new[] { verb }.Concat(args)) + "`";

    public static string? Value(string[] args, string name)
    {
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == name)
            {
                return args[i + 1];
            }
        }

        return null;
    }

    public static bool Flag(string[] args, string name) => args.Contains(name);

    public static double Double(string[] args, string name, double fallback) =>
        Value(args, name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public static int Int(string[] args, string name, int fallback) =>
        Value(args, name) is { } v ? int.Parse(v.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture) : fallback;

    public static int[] Ints(string[] args, string name, int[] fallback) =>
        Value(args, name) is { } v ? v.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : fallback;

    public static string Machine() => string.Create(CultureInfo.InvariantCulture,
        $"{Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");

    public static string S(TimeSpan? t) => t is { } v ? v.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s" : "—";

    /// <summary>Applies the option overrides every engine mode accepts: --margin s, --refresh s, --all-states-time-out, --max-concurrent n.</summary>
    public static Action<PresenceKeepAliveOptions>? OptionOverrides(string[] args)
    {
        var margin = Value(args, "--margin");
        var refresh = Value(args, "--refresh");
        var allStates = Flag(args, "--all-states-time-out");
        var concurrent = Value(args, "--max-concurrent");
        if (margin is null && refresh is null && !allStates && concurrent is null)
        {
            return null;
        }

        return o =>
        {
            if (margin is not null)
            {
                o.RefreshMargin = TimeSpan.FromSeconds(double.Parse(margin, CultureInfo.InvariantCulture));
            }

            if (refresh is not null)
            {
                o.RefreshInterval = TimeSpan.FromSeconds(double.Parse(refresh, CultureInfo.InvariantCulture));
            }

            if (allStates)
            {
                o.AllStatesTimeOut = true;
            }

            if (concurrent is not null)
            {
                o.MaxConcurrentRequests = int.Parse(concurrent, CultureInfo.InvariantCulture);
            }
        };
    }
}
