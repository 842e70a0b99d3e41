using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Orleans.Tests.Infrastructure;

/// <summary>The log entries of every silo of a test cluster (the library's at Information and above, everyone's warnings and errors), to print when a test fails.</summary>
internal sealed class ClusterLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ClusterLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) =>
            category.StartsWith("PresenceKeepAlive", StringComparison.Ordinal)
                ? logLevel >= LogLevel.Information
                : logLevel >= LogLevel.Warning && category is not "Orleans.Grain" and not "Orleans.Runtime.CallbackData";

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log._lines.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel} {category}[{eventId.Id}] {formatter(state, exception)}{(exception is null ? string.Empty : " | " + exception.GetType().Name + ": " + exception.Message)}");
            }
        }
    }
}
