using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Benchmarks.Cluster;

/// <summary>
/// Every HTTP attempt a presence client sent to Graph (the emulator): who sent it (the silo, or the one process), for which
/// user, whether it was a setPresence, and when it left. One log shared by every sender of a run.
/// </summary>
internal sealed class SendLog
{
    private readonly ConcurrentQueue<SentAttempt> _attempts = new();

    /// <summary>Gets now on the log's clock: <see cref="Stopwatch"/> ticks as <see cref="TimeSpan"/> ticks.</summary>
    public static long Now => (long)(Stopwatch.GetTimestamp() * (TimeSpan.TicksPerSecond / (double)Stopwatch.Frequency));

    public void Add(SentAttempt attempt) => _attempts.Enqueue(attempt);

    /// <summary>Returns the attempts that left in the closed interval [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public List<SentAttempt> Between(long from, long to) => _attempts.Where(a => a.Ticks >= from && a.Ticks <= to).ToList();

    /// <summary>Returns the most attempts in any closed window of <paramref name="window"/> (a pair exactly one window apart counts together) among <paramref name="attempts"/>.</summary>
    public static int MaxInAnyWindow(IEnumerable<SentAttempt> attempts, TimeSpan window)
    {
        var times = attempts.Select(a => a.Ticks).Order().ToArray();
        var best = 0;
        var start = 0;
        for (var end = 0; end < times.Length; end++)
        {
            while (times[end] - times[start] > window.Ticks)
            {
                start++;
            }

            best = Math.Max(best, end - start + 1);
        }

        return best;
    }

    /// <summary>Returns the most attempts in any closed window over everything logged so far.</summary>
    public int MaxInAnyWindow(TimeSpan window) => MaxInAnyWindow(_attempts, window);
}

/// <summary>One attempt: the sender, the user (from the path), whether it was a setPresence, and when it left.</summary>
internal readonly record struct SentAttempt(string Sender, string User, bool IsSet, long Ticks);

/// <summary>
/// Records each attempt of a presence client as it leaves: added last with <c>AddHttpMessageHandler</c>, so it is the
/// innermost handler, after the retries (every retry is recorded).
/// </summary>
internal sealed class SendRecorder(SendLog log, string sender) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri?.AbsolutePath ?? string.Empty;
        log.Add(new SentAttempt(sender, UserOf(path), path.EndsWith("/setPresence", StringComparison.OrdinalIgnoreCase), SendLog.Now));
        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>The segment after <c>/users/</c> (<c>/v1.0/users/{id}/presence/setPresence</c>).</summary>
    private static string UserOf(string path)
    {
        var at = path.IndexOf("/users/", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return string.Empty;
        }

        at += "/users/".Length;
        var end = path.IndexOf('/', at);
        return Uri.UnescapeDataString(end < 0 ? path[at..] : path[at..end]);
    }
}

/// <summary>
/// Keeps what a run logged at Warning and above (the library's) or Error and above (everyone else's, Orleans included:
/// a killed silo makes its peers warn about refused connections, which is expected), to print after the tables.
/// </summary>
internal sealed class WarningLog : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Phase, string Line)> _lines = new();
    private volatile string _phase = "start";

    /// <summary>Gets or sets the phase of the run the entries logged from now on belong to.</summary>
    public string Phase
    {
        get => _phase;
        set => _phase = value;
    }

    public IReadOnlyList<(string Phase, string Line)> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public static bool Keeps(string category, LogLevel level) =>
        category.StartsWith("PresenceKeepAlive", StringComparison.Ordinal) ? level >= LogLevel.Warning : level >= LogLevel.Error;

    private sealed class Logger(WarningLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => Keeps(category, logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log._lines.Enqueue((log._phase, $"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel} {category}[{eventId.Id}] {formatter(state, exception)}{(exception is null ? string.Empty : " | " + exception.GetType().Name + ": " + exception.Message)}"));
            }
        }
    }
}
