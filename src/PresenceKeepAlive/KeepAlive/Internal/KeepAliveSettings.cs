namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>
/// The options the engine uses, read once and made safe: options are validated at start-up elsewhere, but odd
/// values (zero, negative, an interval longer than the timeout) must not crash or spin the scheduler. Also the
/// engine's deadline model: when the service would fade or end a session, and when its refresh is due.
/// </summary>
internal sealed class KeepAliveSettings
{
    /// <summary>The longest <c>Retry-After</c> taken as meant; a longer one is capped (and logged) as a proxy's or a skewed clock's.</summary>
    public static readonly TimeSpan MaxPlausibleRetryAfter = TimeSpan.FromMinutes(10);

    /// <param name="options">The options, read once.</param>
    /// <param name="maxConcurrency">Overrides <see cref="PresenceKeepAliveOptions.MaxConcurrentRequests"/> (tests and benchmarks pin it).</param>
    public KeepAliveSettings(PresenceKeepAliveOptions options, int? maxConcurrency = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Protocol = options.Protocol;
        SessionTimeout = options.SessionTimeout > TimeSpan.Zero ? options.SessionTimeout : TimeSpan.FromMinutes(5);
        RefreshMargin = options.RefreshMargin is { } m && m > TimeSpan.Zero && m <= SessionTimeout / 2 ? m : SessionTimeout / 12;
        RefreshInterval = options.RefreshInterval is { } r && r > TimeSpan.Zero && r < SessionTimeout ? r : null;
        RetryMaxDelay = TimeSpan.FromTicks(Math.Clamp(SessionTimeout.Ticks / 10, TimeSpan.TicksPerSecond, 30 * TimeSpan.TicksPerSecond));
        RetryBaseDelay = TimeSpan.FromTicks(Math.Min(2 * TimeSpan.TicksPerSecond, RetryMaxDelay.Ticks));
        SignOffOnDispose = options.SignOffOnDispose;
        Lease = options.Lease > TimeSpan.Zero ? options.Lease : TimeSpan.FromMinutes(5);

        // The seed's PATCH has no lease: every state times out there, as the beta page says.
        AllStatesTimeOut = options.AllStatesTimeOut || options.Protocol == PresenceProtocol.Patch;
        HasLease = options.Protocol != PresenceProtocol.Patch;
        RateLimitPerWindow = options.RateLimitPerWindow;
        RateLimitWindow = options.RateLimitWindow;
        var rate = options.RateLimitPerWindow > 0 && options.RateLimitWindow > TimeSpan.Zero
            ? options.RateLimitPerWindow / options.RateLimitWindow.TotalSeconds
            : 50;
        var total = options.TotalRequestTimeout > TimeSpan.Zero ? options.TotalRequestTimeout : TimeSpan.FromSeconds(60);
        MaxConcurrency = (maxConcurrency ?? options.MaxConcurrentRequests) is > 0 and var c
            ? c
            : (int)Math.Clamp(Math.Ceiling(rate * total.TotalSeconds), 16, 100_000);
    }

    public PresenceProtocol Protocol { get; }

    /// <summary>Gets the service's inactivity timeout (Graph's: 5 minutes, for <c>Available</c>).</summary>
    public TimeSpan SessionTimeout { get; }

    /// <summary>Gets how long before its deadline a session's refresh is due.</summary>
    public TimeSpan RefreshMargin { get; }

    /// <summary>Gets the configured upper bound on the time between two refreshes, or <see langword="null"/>.</summary>
    public TimeSpan? RefreshInterval { get; }

    /// <summary>Gets a value indicating whether every state times out after <see cref="SessionTimeout"/>, not only <c>Available</c>.</summary>
    public bool AllStatesTimeOut { get; }

    /// <summary>Gets a value indicating whether sessions end at <see cref="Lease"/> (not for the seed's PATCH).</summary>
    public bool HasLease { get; }

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

    /// <summary>Gets the most sends in flight: large enough that the rate budget, not this bound, paces requests while some hang.</summary>
    public int MaxConcurrency { get; }

    /// <summary>Gets how long after its acceptance the service would fade or end a session in <paramref name="state"/>.</summary>
    public TimeSpan Lifetime(PresenceState state)
    {
        var lifetime = AllStatesTimeOut || state.Availability == PresenceState.Available.Availability ? SessionTimeout : TimeSpan.MaxValue;
        return HasLease && Lease < lifetime ? Lease : lifetime;
    }

    /// <summary>
    /// Gets the refresh period of a session in <paramref name="state"/>: its lifetime less the margin, or the configured
    /// interval when that is shorter. Refreshes of one session keep to a grid of this period from its last state change.
    /// </summary>
    public TimeSpan RefreshPeriod(PresenceState state)
    {
        var lifetime = Lifetime(state);
        var period = lifetime - RefreshMargin;
        if (period <= TimeSpan.Zero)
        {
            period = lifetime / 2;
        }

        return RefreshInterval is { } interval && interval < period ? interval : period;
    }
}
