using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Diagnostics.Internal;

/// <summary>Sessions and the keep-alive scheduler: event ids 100–199.</summary>
internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Debug, "Presence session for {UserId} started with {State}.")]
    public static partial void SessionStarted(ILogger logger, string userId, PresenceState state);

    [LoggerMessage(122, LogLevel.Debug, "Presence session for {UserId} taken over with {State} (version {Version}): another process kept it alive until it stopped.")]
    public static partial void SessionAdopted(ILogger logger, string userId, PresenceState state, long version);

    [LoggerMessage(101, LogLevel.Debug, "Presence of {UserId} set to {State} (version {Version}).")]
    public static partial void StateSet(ILogger logger, string userId, PresenceState state, long version);

    [LoggerMessage(102, LogLevel.Debug, "Presence send for {UserId} failed ({StatusCode}); retrying in {RetryIn}.")]
    public static partial void SendFailedWillRetry(ILogger logger, string userId, int? statusCode, TimeSpan retryIn, Exception exception);

    [LoggerMessage(103, LogLevel.Warning, "Presence of {UserId} unconfirmed for {Unconfirmed} of the {SessionTimeout} timeout: send failed ({StatusCode}); retrying in {RetryIn}.")]
    public static partial void SendFailedRetrying(ILogger logger, string userId, TimeSpan unconfirmed, TimeSpan sessionTimeout, int? statusCode, TimeSpan retryIn, Exception exception);

    [LoggerMessage(104, LogLevel.Error, "Presence of {UserId} lapsed: unconfirmed for {Unconfirmed}, past the {SessionTimeout} timeout; others may see it fading. Retries go on and {State} is re-applied on recovery.")]
    public static partial void SessionLapsed(ILogger logger, string userId, TimeSpan unconfirmed, TimeSpan sessionTimeout, PresenceState? state, Exception exception);

    [LoggerMessage(105, LogLevel.Error, "Presence session for {UserId} failed permanently ({StatusCode} {ErrorCode}) and stopped refreshing; a new SetAsync starts it again.")]
    public static partial void SessionFailed(ILogger logger, string userId, int? statusCode, string? errorCode, Exception exception);

    [LoggerMessage(106, LogLevel.Information, "Presence of {UserId} confirmed again after {Unconfirmed} unconfirmed.")]
    public static partial void SessionRecovered(ILogger logger, string userId, TimeSpan unconfirmed);

    [LoggerMessage(107, LogLevel.Debug, "Presence session for {UserId} signed off.")]
    public static partial void SignedOff(ILogger logger, string userId);

    [LoggerMessage(108, LogLevel.Warning, "Signing off the presence session for {UserId} failed ({StatusCode}); it stopped refreshing and ends on the service when its lease expires.")]
    public static partial void SignOffFailed(ILogger logger, string userId, int? statusCode, Exception exception);

    [LoggerMessage(109, LogLevel.Warning, "{Sessions} presence sessions need at least {Demand:F1} requests per second (one accepted request within each session's timeout or lease, plus retries for {FailureRatio:P1} failing sends), more than the rate budget of {Limit} requests per {Window} can carry: refreshes will queue and sessions will lapse. About {Fits} of them fit; use {More} more app registration(s), longer leases for states that allow them, or fewer sessions.")]
    public static partial void OverCapacity(ILogger logger, long sessions, double demand, double failureRatio, int limit, TimeSpan window, long fits, int more);

    [LoggerMessage(110, LogLevel.Information, "{Sessions} presence sessions fit the rate budget again (about {Capacity} would).")]
    public static partial void BackWithinCapacity(ILogger logger, long sessions, long capacity);

    [LoggerMessage(111, LogLevel.Warning, "Presence of {UserId} was refreshed {Unconfirmed} after the previous confirmation, past the {SessionTimeout} timeout: the rate budget could not keep up.")]
    public static partial void RefreshedLate(ILogger logger, string userId, TimeSpan unconfirmed, TimeSpan sessionTimeout);

    [LoggerMessage(112, LogLevel.Error, "A keep-alive work item faulted.")]
    public static partial void WorkItemFaulted(ILogger logger, Exception exception);

    [LoggerMessage(113, LogLevel.Warning, "A StatusChanged handler for {UserId} threw.")]
    public static partial void StatusChangedHandlerFailed(ILogger logger, string userId, Exception exception);

    [LoggerMessage(114, LogLevel.Warning, "Signing off {UserId} on dispose failed.")]
    public static partial void SignOffOnDisposeFailed(ILogger logger, string userId, Exception exception);

    [LoggerMessage(115, LogLevel.Debug, "Signing off the presence session for {UserId} failed ({StatusCode}); retrying in {RetryIn}, for at most {LeaseLeft} until its lease ends.")]
    public static partial void SignOffFailedWillRetry(ILogger logger, string userId, int? statusCode, TimeSpan retryIn, TimeSpan leaseLeft, Exception exception);

    [LoggerMessage(116, LogLevel.Warning, "Signing off the presence session for {UserId} kept failing until its {Lease} lease ended; the service has ended the session, so it counts as signed off.")]
    public static partial void SignOffEndedByLease(ILogger logger, string userId, TimeSpan lease, Exception? exception);

    [LoggerMessage(117, LogLevel.Warning, "{Streak} presence requests in a row failed transiently: the service looks unavailable, so the sessions back off together and one probe at a time is sent until one is accepted.")]
    public static partial void FleetBackingOff(ILogger logger, int streak);

    [LoggerMessage(118, LogLevel.Information, "A presence request was accepted again: the sessions stop backing off and are re-established within the rate budget.")]
    public static partial void FleetRecovered(ILogger logger);

    [LoggerMessage(119, LogLevel.Warning, "Graph asked {UserId} to retry after {RetryAfter}, longer than the {Cap} that is honoured: waiting {Cap} instead.")]
    public static partial void RetryAfterCapped(ILogger logger, string userId, TimeSpan retryAfter, TimeSpan cap);

    [LoggerMessage(120, LogLevel.Warning, "The clock jumped {Jump} ahead of the monotonic timer (the machine slept, or the wall clock was stepped): every session due meanwhile is refreshed now and lapses are counted.")]
    public static partial void ClockCaughtUp(ILogger logger, TimeSpan jump);

    [LoggerMessage(121, LogLevel.Error, "Presence of {UserId} passed its deadline unconfirmed while waiting to be sent ({Reason}); others may see it fading. {State} is re-applied as soon as it can be sent.")]
    public static partial void DeadlinePassedWaiting(ILogger logger, string userId, string reason, PresenceState? state);
}
