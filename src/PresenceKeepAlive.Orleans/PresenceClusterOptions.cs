namespace PresenceKeepAlive.Orleans;

/// <summary>
/// Options of the distributed mode on the silos (<c>siloBuilder.AddPresenceKeepAlive(…)</c>). Every silo of a cluster must
/// use the same values (and the same presence registrations).
/// </summary>
public sealed class PresenceClusterOptions
{
    /// <summary>The name of the grain storage provider the sessions' desired states and the buckets' members are kept in: register one with this name (ADO.NET, Azure, Redis; in-memory for development).</summary>
    public const string StorageProviderName = "presence";

    /// <summary>
    /// Gets or sets how many bucket grains each registration has. Each holds a reminder that wakes its sessions after a whole
    /// cluster restarted or a membership change was missed; the reminder table holds one row a bucket.
    /// </summary>
    /// <value>The default is 64. Between 1 and 4,096; do not change it while the cluster runs.</value>
    public int BucketCount { get; set; } = 64;

    /// <summary>
    /// Gets or sets the refresh margin the registrations use in the cluster: how long before its deadline a session is
    /// refreshed. It must cover failing over: the failure detection of a silo that dies, plus reactivating its sessions
    /// elsewhere and sending their refreshes. <see langword="null"/> keeps each registration's own
    /// <see cref="PresenceKeepAliveOptions.RefreshMargin"/>.
    /// </summary>
    /// <value>The default is 90 seconds: a refresh every 210 s for Available (17.1 requests per session-hour instead of 13.1 with the one-process 25 s margin).</value>
    public TimeSpan? RefreshMargin { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Gets or sets the lease the registrations use in the cluster (<see cref="PresenceKeepAliveOptions.Lease"/>): how long a
    /// user keeps a Busy (or any non-Available) state after the whole cluster is gone. <see langword="null"/> keeps each
    /// registration's own.
    /// </summary>
    /// <value>The default is 15 minutes: about 4 requests per Busy session-hour, and at most 15 minutes of stale Busy after an outage of the whole cluster.</value>
    public TimeSpan? Lease { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Gets or sets how long a silo that holds sessions may have stopped refreshing before another silo takes them over:
    /// Orleans' failure detection plus the time to wake the sessions. A session taken over is assumed to have been refreshed
    /// at the latest one refresh period before that, so its refresh is due one margin less this after it is taken over.
    /// </summary>
    /// <value>The default is 30 seconds (failure detection at about 25 s with the membership settings the README recommends).</value>
    public TimeSpan FailoverAllowance { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how often each silo reads the membership table to prove it still belongs to the cluster. A silo that has
    /// not read it for <see cref="FenceAfter"/> sends nothing until it reads it again, so a silo cut off from the cluster
    /// (and declared dead by the others, who take its share) stops spending the budget within that time.
    /// </summary>
    /// <value>The default is 3 seconds.</value>
    public TimeSpan MembershipReadInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Gets or sets how long a silo may go without reading the membership table before it stops sending (see <see cref="MembershipReadInterval"/>).</summary>
    /// <value>The default is 9 seconds.</value>
    public TimeSpan FenceAfter { get; set; } = TimeSpan.FromSeconds(9);

    /// <summary>
    /// Gets or sets whether disposing a session (<c>IPresenceSession.DisposeAsync</c>) signs the user off. Silos never
    /// sign anyone off when they stop or die: in a cluster that is a hand-over, not an end.
    /// </summary>
    /// <value>The default is <see langword="true"/>, as <see cref="PresenceKeepAliveOptions.SignOffOnDispose"/>.</value>
    public bool SignOffOnDispose { get; set; } = true;

    /// <summary>Gets or sets whether each silo, on start, sets the sessions configured in the registrations' <see cref="PresenceKeepAliveOptions.Sessions"/> , for the users the cluster keeps no state for (never set, or disposed): a user the application changed or signed off at run time is left alone.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool SetConfiguredSessions { get; set; } = true;
}
