namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>
/// The request budget of one application registration in one tenant: a token bucket refilled on a fixed time grid
/// by the scheduler, which reads the time from its monotonic <see cref="KeepAliveClock"/> (a wall-clock step must not
/// move the grid). Not thread-safe: the scheduler calls it under its lock.
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
    private static readonly TimeSpan MinPeriod = TimeSpan.FromMilliseconds(100);

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

        // A closed window of length W holds the bucket's content at its start plus k + 1 refill instants
        // (k = W / period), so tokensPerPeriod * (k + 2) <= limit. Among the periods of at least MinPeriod, take the
        // longest one whose sustained rate is within 2% of the best: fewer wake-ups, nearly the full rate.
        var maxK = (int)Math.Clamp(window.Ticks / MinPeriod.Ticks, 1, 10_000);
        long bestScore = 0;
        for (var k = 1; k <= maxK && limitPerWindow / (k + 2) >= 1; k++)
        {
            bestScore = Math.Max(bestScore, (long)(limitPerWindow / (k + 2)) * k);
        }

        long perPeriod;
        TimeSpan period;
        if (bestScore == 0)
        {
            // Fewer than 3 requests per window: one per window (a token bucket may still pair two across a refill).
            perPeriod = 1;
            period = window;
        }
        else
        {
            var k = 1;
            while ((long)(limitPerWindow / (k + 2)) * k < bestScore * 98 / 100)
            {
                k++;
            }

            perPeriod = limitPerWindow / (k + 2);
            period = TimeSpan.FromTicks(window.Ticks / k);
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
