namespace PresenceKeepAlive;

/// <summary>
/// Thresholds of the PresenceKeepAlive health check (<c>AddHealthChecks().AddPresenceKeepAlive()</c>). The check counts
/// the sessions of <see cref="IPresenceSessionManager"/> by <see cref="PresenceSessionStatus"/> and reports
/// <list type="bullet">
/// <item><description><c>Unhealthy</c> when the share of live sessions that are <see cref="PresenceSessionStatus.Lapsed"/>
/// or <see cref="PresenceSessionStatus.Failed"/> is above <see cref="UnhealthyShare"/>;</description></item>
/// <item><description><c>Degraded</c> when any session is lapsed or failed, when a <see cref="PresenceSessionStatus.Retrying"/>
/// session has been unconfirmed for longer than <see cref="RetryingDegradedAfter"/>, or when refreshes are overdue by more than
/// <see cref="OverdueDegradedAfter"/> (the rate budget cannot keep up: the manager is over capacity);</description></item>
/// <item><description><c>Healthy</c> otherwise.</description></item>
/// </list>
/// Live sessions are those <see cref="PresenceSessionStatus.Active"/>, <see cref="PresenceSessionStatus.Retrying"/>,
/// <see cref="PresenceSessionStatus.Lapsed"/> or <see cref="PresenceSessionStatus.Failed"/>; not started, cleared and
/// disposed sessions are counted in the report's data but judge nothing.
/// </summary>
public sealed class PresenceKeepAliveHealthCheckOptions
{
    /// <summary>
    /// Gets or sets the share (0 to 1) of live sessions that may be lapsed or failed before the check reports
    /// <c>Unhealthy</c> (more precisely, the registration's failure status). At or below it, any lapsed or failed session
    /// makes the check <c>Degraded</c>; <c>0</c> makes a single one <c>Unhealthy</c>.
    /// </summary>
    /// <value>The default value is <c>0.1</c> (10%).</value>
    public double UnhealthyShare { get; set; } = 0.1;

    /// <summary>
    /// Gets or sets how long a <see cref="PresenceSessionStatus.Retrying"/> session may have gone unconfirmed (since its
    /// <see cref="IPresenceSession.LastConfirmedAt"/>, or since it was seen retrying when it was never confirmed) before the
    /// check reports <c>Degraded</c>: its presence is at risk of fading.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: half of <see cref="PresenceKeepAliveOptions.SessionTimeout"/>
    /// (2 minutes 30 seconds at the defaults), the point at which the library logs a retrying session as a warning.
    /// </value>
    public TimeSpan? RetryingDegradedAfter { get; set; }

    /// <summary>
    /// Gets or sets how long past its <see cref="IPresenceSession.NextRefreshAt"/> a session's refresh may still be waiting
    /// before the check reports <c>Degraded</c>. Refreshes that wait that long mean the rate budget cannot keep every
    /// session alive: the manager is over capacity, and sessions will lapse.
    /// </summary>
    /// <value>The default value is 1 minute.</value>
    public TimeSpan OverdueDegradedAfter { get; set; } = TimeSpan.FromMinutes(1);
}
