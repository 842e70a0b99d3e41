namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>
/// The request budget of one application registration in one tenant: a token bucket refilled on a fixed time grid
/// by the scheduler, which reads the time from its <see cref="TimeProvider"/>. Not thread-safe: the scheduler calls
/// it under its lock.
/// </summary>
/// <remarks>
/// <para>
/// <c>System.Threading.RateLimiting.TokenBucketRateLimiter</c> was the first choice, but with
/// <c>AutoReplenishment = false</c> its <c>TryReplenish</c> adds tokens in proportion to the <em>wall-clock</em>
/// time (<c>Stopwatch</c>) elapsed since the previous call, not a period's worth per call, so it cannot be driven by
/// a <see cref="TimeProvider"/> (under <c>FakeTimeProvider</c> it never refills). Hence this small bucket.
/// </para>
/// <para>
/// Capacity and refill are sized so that no window of <c>window</c> length (closed at both ends) ever sees more than
/// <c>limitPerWindow</c> requests: with <c>n = window / period</c> refill instants in such a window plus the
/// bucket's content at its start, <c>tokensPerPeriod * (n + 2) &lt;= limitPerWindow</c>. A bucket as large as the
/// whole window (1,500) refilling at 50/s would allow 3,000 requests in 30 s after an idle spell and be throttled.
/// The price is a sustained rate about 6% under the nominal one (46/s instead of 50/s for 1,500/30 s).
/// </para>
/// </remarks>
internal sealed class RateBudget
{
    private static readonly TimeSpan DefaultPeriod = TimeSpan.FromSeconds(1);

    private long _tokens;
    private long _nextRefillTicks;

    public RateBudget(int limitPerWindow, TimeSpan window, long nowTicks)
    {
        // Odd values must not crash the scheduler: fall back to Graph's documented presence limit.
        if (limitPerWindow <= 0 || window <= TimeSpan.Zero)
        {
            limitPerWindow = 1500;
            window = TimeSpan.FromSeconds(30);
        }

        LimitPerWindow = limitPerWindow;
        Window = window;
        var period = DefaultPeriod;
        var periodsPerWindow = (long)Math.Ceiling(window.Ticks / (double)period.Ticks);
        var perPeriod = limitPerWindow / (periodsPerWindow + 2);
        if (perPeriod < 1)
        {
            // A small budget: one token per period, with a period long enough that a window holds at most the limit.
            perPeriod = 1;
            period = limitPerWindow >= 3
                ? TimeSpan.FromTicks((long)Math.Ceiling(window.Ticks / (double)(limitPerWindow - 2)))
                : window + TimeSpan.FromTicks(1);
        }

        Period = period;
        TokensPerPeriod = perPeriod;
        Capacity = perPeriod;
        _tokens = perPeriod;
        _nextRefillTicks = nowTicks + period.Ticks;
    }

    public int LimitPerWindow { get; }

    public TimeSpan Window { get; }

    public TimeSpan Period { get; }

    public long TokensPerPeriod { get; }

    public long Capacity { get; }

    /// <summary>Gets the sustained request rate the budget allows, in requests per second.</summary>
    public double SustainedRatePerSecond => TokensPerPeriod / Period.TotalSeconds;

    /// <summary>Gets when the next tokens arrive.</summary>
    public long NextRefillTicks => _nextRefillTicks;

    public long Available => _tokens;

    /// <summary>Takes one token if there is one, after adding those due by <paramref name="nowTicks"/>.</summary>
    public bool TryTake(long nowTicks)
    {
        Refill(nowTicks);
        if (_tokens <= 0)
        {
            return false;
        }

        _tokens--;
        return true;
    }

    public void Refill(long nowTicks)
    {
        if (nowTicks < _nextRefillTicks)
        {
            return;
        }

        // Refill instants stay on a fixed grid, whenever the scheduler wakes: that is what bounds every window.
        var periods = ((nowTicks - _nextRefillTicks) / Period.Ticks) + 1;
        _tokens = Math.Min(Capacity, _tokens + (periods * TokensPerPeriod));
        _nextRefillTicks += periods * Period.Ticks;
    }
}
