using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>The emulator's log messages. App keys are claims or token hashes, never raw tokens.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Graph presence emulator listening on {BaseAddress} (mode {Mode}, time scale {TimeScale})")]
    public static partial void Started(ILogger logger, Uri baseAddress, PresenceEmulatorMode mode, double timeScale);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Rejected {Operation} {Path}: no bearer token")]
    public static partial void Unauthorized(ILogger logger, EmulatorOperation operation, string path);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Throttled app {AppKey} on {Operation}; Retry-After {RetryAfterSeconds} s")]
    public static partial void Throttled(ILogger logger, string appKey, EmulatorOperation operation, long retryAfterSeconds);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Injected fault into {Operation} {Path}: status {StatusCode}, drop {DropConnection}, delay {Delay}")]
    public static partial void FaultInjected(ILogger logger, EmulatorOperation operation, string path, int? statusCode, bool dropConnection, TimeSpan? delay);
}
