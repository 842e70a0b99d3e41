using System.Diagnostics;
using System.Globalization;
using System.Text;
using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>
/// Read-back at scale: the same simulated run (seeded, simulated clock, strict fake Graph) with read-back off and on.
/// Reports read calls per cycle (at most ceil(n / 650)), the most requests of any kind in a closed 30 s window, the
/// refreshes sent, lapses and the worst gap, so that "never delays a refresh" is a comparison of the two runs.
/// </summary>
internal static class ReadBackHarness
{
    public static int Run(string[] args)
    {
        var counts = Cli.Ints(args, "--sessions", [10_000]);
        var hours = Cli.Double(args, "--hours", 2);
        var interval = TimeSpan.FromSeconds(Cli.Double(args, "--interval", 60));
        var mix = Cli.Flag(args, "--contact-centre") ? SimMix.ContactCentre : SimMix.Available;
        var output = new StringBuilder();
        output.AppendLine(CultureInfo.InvariantCulture, $"Read-back at scale: {Cli.CommandLine("readback", args)}").AppendLine();
        output.AppendLine(CultureInfo.InvariantCulture, $"{SimSpec.Describe(mix)}, {hours} h simulated, read-back interval {interval.TotalSeconds:0} s, batch 650, budget 1,500 / 30 s; {Cli.Machine()}.").AppendLine();
        output.AppendLine("| sessions | read-back | set requests | lapse events | users lapsed | engine lapses | worst gap (Available) | read calls | cycles | most read calls in a cycle | longest cycle | spare refusals | most requests in a closed 30 s window (all) | wall |");
        output.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var ok = true;
        foreach (var n in counts)
        {
            var off = RunOne(n, hours, mix, interval, readBack: false);
            var on = RunOne(n, hours, mix, interval, readBack: true);
            foreach (var (name, r) in new[] { ("off", off), ("on", on) })
            {
                output.AppendLine(CultureInfo.InvariantCulture,
                    $"| {n:N0} | {name} | {r.Result.Requests:N0} | {r.Result.LapseEvents:N0} | {r.Result.UsersLapsed:N0} | {r.Result.EngineLapses:N0} | {Cli.S(r.Result.WorstGapAvailable)} | {r.ReadCalls:N0} | {r.Cycles:N0} | {r.MaxCycleCalls} | {Cli.S(r.MaxCycleTime)} | {r.Refusals:N0} | {r.MaxInWindow:N0} | {r.Wall:F1} s |");
            }

            var maxCalls = (n + 649) / 650;
            ok &= on.MaxCycleCalls <= maxCalls && on.Result.ZeroLapse && off.Result.ZeroLapse && on.Result.Requests == off.Result.Requests && on.MaxInWindow <= 1500;
        }

        output.AppendLine().AppendLine(ok
            ? "Every run: read calls per cycle at most ceil(sessions / 650), no lapse, the same set requests with read-back on as off, no closed 30 s window over 1,500."
            : "NOT MET: see the table.");
        Console.WriteLine(output.ToString());
        if (Cli.Value(args, "--out") is { } path)
        {
            File.WriteAllText(path, output.ToString());
        }

        return ok ? 0 : 1;
    }

    private static Outcome RunOne(int n, double hours, SimMix mix, TimeSpan interval, bool readBack)
    {
        SimReads? reads = null;
        var spec = new SimSpec(n)
        {
            Mix = mix,
            Configure = readBack ? o =>
            {
                o.ReadBack.Enabled = true;
                o.ReadBack.Interval = interval;
            }
            : null,
            WrapProtocol = (inner, time) => reads = new SimReads(inner, mix, time),
        };
        var wall = Stopwatch.StartNew();
        using var sim = new EngineSim(spec);
        var steadyFrom = SimRun.SteadyStart(hours);
        sim.RunUntil(steadyFrom);
        var r0 = sim.Graph.Requests;
        var a0 = sim.Graph.RequestsAvailable;
        var o0 = sim.Graph.RequestsOther;
        sim.RunUntil(TimeSpan.FromHours(hours));
        var result = SimRun.Summarize(sim, hours, r0, a0, o0, steadyFrom);
        var loop = sim.Manager.ReadBack;
        return new Outcome(result, reads!.Reads, loop?.Cycles ?? 0, loop?.MaxCycleCalls ?? 0, loop?.MaxCycleTime, loop?.SpareRefusals ?? 0, reads.MaxInWindow, wall.Elapsed.TotalSeconds);
    }

    private sealed record Outcome(SimResult Result, long ReadCalls, long Cycles, int MaxCycleCalls, TimeSpan? MaxCycleTime, long Refusals, int MaxInWindow, double Wall);

    /// <summary>
    /// The fake Graph's reads: every read passes the app's gate as the HTTP pipeline's attempt handler would, and answers
    /// at once with the state the mix gives each user. Every attempt (sets, clears, reads) is logged to find the most in
    /// any closed 30 s window.
    /// </summary>
    private sealed class SimReads(IPresenceProtocol inner, SimMix mix, TimeProvider time) : IPresenceProtocol, IPresenceUserProtocol
    {
        private static readonly long WindowTicks = TimeSpan.FromSeconds(30).Ticks;
        private readonly Queue<long> _arrivals = new();

        public PresenceProtocol Protocol => inner.Protocol;

        public long Reads { get; private set; }

        public int MaxInWindow { get; private set; }

        public Task SetPresenceAsync(string userId, PresenceState state, ActivityContext parent, CancellationToken cancellationToken)
        {
            Arrive();
            return inner.SetPresenceAsync(userId, state, parent, cancellationToken);
        }

        public Task ClearPresenceAsync(string userId, ActivityContext parent, CancellationToken cancellationToken)
        {
            Arrive();
            return inner.ClearPresenceAsync(userId, parent, cancellationToken);
        }

        public Task<IReadOnlyList<SeenPresence>> GetPresencesAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken)
        {
            if (PresenceSendScope.Current?.TryEnterAttempt() != true)
            {
                throw new InvalidOperationException("A read was sent without a place in the budget.");
            }

            Arrive();
            Reads++;
            var now = time.GetUtcNow();
            var seen = new List<SeenPresence>(userIds.Count);
            foreach (var id in userIds)
            {
                var index = EngineSim.IndexOf(id);
                var state = SimSpec.StateOf(mix, index);
                seen.Add(new SeenPresence(id, state.Availability, state.Activity, now));
            }

            return Task.FromResult<IReadOnlyList<SeenPresence>>(seen);
        }

        public Task SetPreferredPresenceAsync(string userId, PreferredPresence presence, TimeSpan expiration, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task ClearPreferredPresenceAsync(string userId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task SetStatusMessageAsync(string userId, PresenceStatusMessage? message, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<SeenPresence> GetSignedInPresenceAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        private void Arrive()
        {
            var ticks = time.GetUtcNow().UtcTicks;
            _arrivals.Enqueue(ticks);
            while (_arrivals.Peek() < ticks - WindowTicks)
            {
                _arrivals.Dequeue();
            }

            MaxInWindow = Math.Max(MaxInWindow, _arrivals.Count);
        }
    }
}
