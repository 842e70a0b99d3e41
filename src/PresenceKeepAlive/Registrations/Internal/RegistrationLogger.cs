using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>
/// The logger of one app of one registration: every entry is written inside a scope naming the registration, the tenant
/// and the app's client id (never a secret), so that the logs of many tenants in one process can be told apart.
/// </summary>
internal sealed class RegistrationLogger<T>(ILogger inner, RegistrationLogScope scope) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        using (inner.BeginScope(scope))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
