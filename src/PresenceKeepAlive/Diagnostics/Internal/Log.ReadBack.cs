using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Diagnostics.Internal;

/// <summary>Read-back (what others see) and the one-shot user operations: event ids 150–159.</summary>
internal static partial class Log
{
    [LoggerMessage(150, LogLevel.Warning, "Others see {UserId} as {Seen}, not {Desired}, for {For} (reason: {Reason}).")]
    public static partial void PresenceMasked(ILogger logger, string userId, string seen, PresenceState desired, TimeSpan @for, PresenceMaskReason reason);

    [LoggerMessage(151, LogLevel.Information, "Others see {UserId} as {Desired} again.")]
    public static partial void PresenceUnmasked(ILogger logger, string userId, PresenceState desired);

    [LoggerMessage(152, LogLevel.Debug, "Read-back of {Count} users failed ({StatusCode}); the next cycle reads them again.")]
    public static partial void ReadBackFailed(ILogger logger, int count, int? statusCode, Exception exception);

    [LoggerMessage(153, LogLevel.Warning, "Read-back is refused by Graph ({StatusCode}, {ErrorCode}): it needs the application permission Presence.Read.All. Reading stops until the next cycle.")]
    public static partial void ReadBackForbidden(ILogger logger, int? statusCode, string? errorCode);

    [LoggerMessage(154, LogLevel.Debug, "Read-back cycle read {Users} users in {Calls} calls over {Elapsed}.")]
    public static partial void ReadBackCycle(ILogger logger, int users, int calls, TimeSpan elapsed);

    [LoggerMessage(156, LogLevel.Warning, "Read-back skips {UserId} and every other session not keyed by an object id (first of {Count}): getPresencesByUserId takes directory object ids (GUIDs) only, so such sessions are not read back. Key the session by the user's object id to read it back.")]
    public static partial void ReadBackSkipsNonObjectIds(ILogger logger, string userId, int count);

    [LoggerMessage(155, LogLevel.Error, "A MismatchChanged handler for {UserId} threw; the session goes on.")]
    public static partial void MismatchHandlerFailed(ILogger logger, string userId, Exception exception);
}
