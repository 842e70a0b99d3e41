using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Diagnostics.Internal;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "{Operation} for user {UserId} accepted ({State}).")]
    public static partial void RequestSucceeded(ILogger logger, string operation, string userId, string? state);

    [LoggerMessage(2, LogLevel.Debug, "clearPresence for user {UserId}: no such session, already signed off.")]
    public static partial void ClearFoundNoSession(ILogger logger, string userId);

    [LoggerMessage(3, LogLevel.Debug, "{Operation} for user {UserId} failed: status {StatusCode}, code {ErrorCode}, request-id {RequestId}, transient {IsTransient}.")]
    public static partial void RequestFailed(ILogger logger, string operation, string userId, int? statusCode, string? errorCode, string? requestId, bool isTransient);

    [LoggerMessage(4, LogLevel.Debug, "HTTP attempt {Attempt} answered {Outcome}; retrying in {DelayMs} ms.")]
    public static partial void HttpRetry(ILogger logger, int attempt, string outcome, double delayMs);

    [LoggerMessage(5, LogLevel.Debug, "{Operation} {Method} not sent: the rate budget had no place for it (retry within the send: {IsRetry}); the session retries through the scheduler.")]
    public static partial void HttpAttemptRefused(ILogger logger, string operation, string method, bool isRetry);
}
