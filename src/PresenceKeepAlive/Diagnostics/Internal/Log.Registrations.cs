using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Diagnostics.Internal;

internal static partial class Log
{
    [LoggerMessage(230, LogLevel.Warning, "Registration {Registration} (tenant {TenantId}): its {Sessions} sessions need about {Needed} app registrations at {PerApp} Available sessions each within one app's rate budget, and {Apps} are configured: add {More} more app registrations to Apps.")]
    public static partial void PoolOverCapacity(ILogger logger, string registration, string? tenantId, long sessions, long perApp, int apps, int needed, int more);

    [LoggerMessage(231, LogLevel.Information, "Registration {Registration}: app {ClientId} added; {Moved} users moved to it.")]
    public static partial void AppAdded(ILogger logger, string registration, string clientId, int moved);

    [LoggerMessage(232, LogLevel.Information, "Registration {Registration}: app {ClientId} removed; {Moved} users moved to the other apps.")]
    public static partial void AppRemoved(ILogger logger, string registration, string clientId, int moved);

    [LoggerMessage(233, LogLevel.Warning, "Registration {Registration}: user {UserId} could not be signed off from app {ClientId} before moving to app {NewClientId} (it is retried in the background, and its lease ends it at the latest): {Reason}")]
    public static partial void MoveSignOffFailed(ILogger logger, string registration, string userId, string clientId, string newClientId, string reason);

    [LoggerMessage(234, LogLevel.Information, "Presence registrations started: {Registrations}; configured sessions: {Sessions}.")]
    public static partial void RegistrationsStarted(ILogger logger, int registrations, int sessions);

    [LoggerMessage(235, LogLevel.Information, "Presence registrations stopped; sessions signed off: {SignedOff}, not signed off: {Failed}.")]
    public static partial void RegistrationsStopped(ILogger logger, int signedOff, int failed);

    [LoggerMessage(236, LogLevel.Warning, "Registration {Registration}: user {UserId} was not signed off before shutdown: {Reason}")]
    public static partial void RegistrationNotSignedOff(ILogger logger, string registration, string userId, string reason);

    [LoggerMessage(237, LogLevel.Error, "Registration {Registration} could not be started.")]
    public static partial void RegistrationStartFailed(ILogger logger, string registration, Exception exception);

    [LoggerMessage(238, LogLevel.Error, "Registration {Registration}: signing its sessions off at shutdown failed.")]
    public static partial void RegistrationSignOffFailed(ILogger logger, string registration, Exception exception);
}
