namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>
/// The options the engine uses, read once and made safe: options are validated at start-up elsewhere, but odd
/// values (zero, negative, a jitter longer than the interval) must not crash or spin the scheduler.
/// </summary>
internal sealed class KeepAliveSettings
{
    public KeepAliveSettings(PresenceKeepAliveOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Protocol = options.Protocol;
        SessionTimeout = options.SessionTimeout > TimeSpan.Zero ? options.SessionTimeout : TimeSpan.FromMinutes(5);
        RefreshMargin = options.RefreshMargin is { } m && m > TimeSpan.Zero && m <= SessionTimeout / 2 ? m : SessionTimeout / 12;
        RefreshInterval = options.RefreshInterval is { } r && r > TimeSpan.Zero && r < SessionTimeout - RefreshMargin ? r : SessionTimeout - RefreshMargin;
        RetryMaxDelay = TimeSpan.FromTicks(Math.Clamp(SessionTimeout.Ticks / 10, TimeSpan.TicksPerSecond, 30 * TimeSpan.TicksPerSecond));
        RetryBaseDelay = TimeSpan.FromTicks(Math.Min(2 * TimeSpan.TicksPerSecond, RetryMaxDelay.Ticks));
        SignOffOnDispose = options.SignOffOnDispose;
        Lease = options.Lease > TimeSpan.Zero ? options.Lease : TimeSpan.FromMinutes(5);
        RateLimitPerWindow = options.RateLimitPerWindow;
        RateLimitWindow = options.RateLimitWindow;
    }

    public PresenceProtocol Protocol { get; }

    public TimeSpan SessionTimeout { get; }

    public TimeSpan RefreshInterval { get; }

    public TimeSpan RefreshMargin { get; }

    /// <summary>Gets the mean time between two refreshes of one session.</summary>
    public TimeSpan MeanRefreshInterval => RefreshInterval;

    public TimeSpan RetryBaseDelay { get; }

    public TimeSpan RetryMaxDelay { get; }

    public bool SignOffOnDispose { get; }

    /// <summary>
    /// Gets the lease (<c>expirationDuration</c>). Signing off on dispose gives up after this long: by then the
    /// service has ended every session that was not refreshed, so waiting longer would only delay shutdown.
    /// </summary>
    public TimeSpan Lease { get; }

    /// <summary>
    /// Gets how long a sign-off on dispose may take: the lease (after it the service has ended the session anyway),
    /// but at most 30 seconds, so that disposing never holds a process for hours.
    /// </summary>
    public TimeSpan SignOffOnDisposeLimit => Lease < TimeSpan.FromSeconds(30) ? Lease : TimeSpan.FromSeconds(30);

    public int RateLimitPerWindow { get; }

    public TimeSpan RateLimitWindow { get; }
}
