using System.Collections.Concurrent;
using System.Diagnostics;

namespace PresenceKeepAlive.Orleans.Tests.Infrastructure;

/// <summary>Every HTTP attempt any silo of the cluster sent to Graph (the emulator), with the instant it left, in one log shared by the silos.</summary>
internal sealed class AttemptLog
{
    private readonly ConcurrentQueue<Attempt> _attempts = new();

    public int Count => _attempts.Count;

    public IReadOnlyList<Attempt> Attempts => [.. _attempts];

    public void Add(Attempt attempt) => _attempts.Enqueue(attempt);

    /// <summary>Returns the most attempts in any closed window of <paramref name="window"/>, and where that window starts.</summary>
    public (int Count, long AtTicks) MaxInAnyWindow(TimeSpan window, Func<Attempt, bool>? filter = null)
    {
        var times = _attempts.Where(a => filter?.Invoke(a) ?? true).Select(a => a.Ticks).Order().ToArray();
        var best = 0;
        long at = 0;
        var start = 0;
        for (var end = 0; end < times.Length; end++)
        {
            while (times[end] - times[start] > window.Ticks)
            {
                start++;
            }

            if (end - start + 1 > best)
            {
                best = end - start + 1;
                at = times[start];
            }
        }

        return (best, at);
    }
}

/// <summary>One attempt: which silo sent it (its address), what it was, and when it left (<see cref="Stopwatch"/> ticks converted to <see cref="TimeSpan"/> ticks).</summary>
internal readonly record struct Attempt(string Silo, string Method, string Path, long Ticks)
{
    public bool IsClear => Path.EndsWith("/clearPresence", StringComparison.OrdinalIgnoreCase);

    public bool IsSet => Path.EndsWith("/setPresence", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Records each attempt of a silo's presence client as it leaves (innermost handler: after the retries, so every retry is recorded).</summary>
internal sealed class AttemptRecorder(AttemptLog log, string silo) : DelegatingHandler
{
    public static long Now => (long)(Stopwatch.GetTimestamp() * (TimeSpan.TicksPerSecond / (double)Stopwatch.Frequency));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        log.Add(new Attempt(silo, request.Method.Method, request.RequestUri?.AbsolutePath ?? string.Empty, Now));
        return base.SendAsync(request, cancellationToken);
    }
}
