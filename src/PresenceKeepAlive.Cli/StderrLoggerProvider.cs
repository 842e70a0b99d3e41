using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Cli;

/// <summary>The library's warnings and errors (and, with <c>--verbose</c>, everything from Debug up) on standard error.</summary>
internal sealed class StderrLoggerProvider(TextWriter error, LogLevel minimum) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(error, minimum);

    public void Dispose()
    {
    }

    private sealed class Logger(TextWriter error, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            lock (error)
            {
                error.WriteLine($"{logLevel.ToString().ToLowerInvariant()}[{eventId.Id}]: {formatter(state, exception)}");
            }
        }
    }
}
