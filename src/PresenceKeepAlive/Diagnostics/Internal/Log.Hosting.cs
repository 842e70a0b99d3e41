using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Diagnostics.Internal;

internal static partial class Log
{
    [LoggerMessage(200, LogLevel.Information, "Presence keep-alive started; configured sessions: {Count}.")]
    public static partial void HostStarted(ILogger logger, int count);

    [LoggerMessage(201, LogLevel.Warning, "Could not set {State} for user {UserId} at start-up yet; the session keeps retrying: {Reason}")]
    public static partial void StartSetDeferred(ILogger logger, string userId, string state, string reason);

    // For failures the session does not log itself (a permanent Graph error is logged once, by the session, as event 105).
    [LoggerMessage(202, LogLevel.Error, "Could not set {State} for user {UserId} at start-up.")]
    public static partial void StartSetFailed(ILogger logger, string userId, string state, Exception exception);

    [LoggerMessage(203, LogLevel.Information, "Presence keep-alive stopped; sessions signed off: {SignedOff}, not signed off: {Failed}.")]
    public static partial void HostStopped(ILogger logger, int signedOff, int failed);

    [LoggerMessage(204, LogLevel.Warning, "User {UserId} was not signed off before shutdown: {Reason}")]
    public static partial void NotSignedOff(ILogger logger, string userId, string reason);

    [LoggerMessage(205, LogLevel.Error, "Signing the sessions off at shutdown failed.")]
    public static partial void SignOffAllFailed(ILogger logger, Exception exception);

    [LoggerMessage(206, LogLevel.Debug, "Could not set {State} for user {UserId} at start-up: Graph refused it permanently (logged by the session as event 105).")]
    public static partial void StartSetRefused(ILogger logger, string userId, string state);

    [LoggerMessage(207, LogLevel.Information, "BaseUrl {BaseUrl} is a loopback address (a local emulator): sending a development token, not the configured {Ignored}. Set UseConfiguredCredentialOnLoopback to use it there.")]
    public static partial void LoopbackDevelopmentToken(ILogger logger, string baseUrl, string ignored);
}
