namespace PresenceKeepAlive;

/// <summary>
/// Read-back: the engine reads what others see for every kept session (<c>getPresencesByUserId</c>, at most 650 users a
/// call) and reports sessions whose users show something else for longer than <see cref="GracePeriod"/>. Off by default.
/// Needs the application permission <c>Presence.Read.All</c> on a real tenant.
/// </summary>
/// <remarks>
/// Reads only take places in the rate budget that refreshes and state changes do not need at that moment, and always
/// leave <see cref="BudgetShare"/> of the budget free for them, so turning read-back on never delays a refresh or a state change.
/// </remarks>
public sealed class PresenceReadBackOptions
{
    /// <summary>The most users one <c>getPresencesByUserId</c> call may ask for.</summary>
    public const int MaxBatchSize = 650;

    /// <summary>Gets or sets a value indicating whether read-back runs.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Enabled { get; set; }

    /// <summary>Gets or sets how often every kept session is read back (one cycle).</summary>
    /// <value>The default value is 1 minute.</value>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets how long others may see something other than the desired state before the session reports it:
    /// Teams clients and Graph take a while to show a change.
    /// </summary>
    /// <value>The default value is 2 minutes.</value>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Gets or sets how many users one read asks for, from 1 to <see cref="MaxBatchSize"/>.</summary>
    /// <value>The default value is 650.</value>
    public int BatchSize { get; set; } = MaxBatchSize;

    /// <summary>
    /// Gets or sets the headroom read-back leaves free: the share of the rate budget (of the window, and of the current
    /// second's pacing) that must stay free after a read takes its place, for refreshes and state changes that fall due
    /// next. A read goes only when no refresh, state change or retry is waiting and this much stays free; it is not a cap
    /// on read-back's own use, which may take every other spare place. From greater than 0 to at most 0.25.
    /// </summary>
    /// <value>The default value is 0.05 (5%).</value>
    public double BudgetShare { get; set; } = 0.05;
}
