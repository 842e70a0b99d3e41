using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>The timing rules of one session: deadlines, the refresh grid and retry delays. Pure functions of their inputs.</summary>
internal static class SessionTiming
{
    /// <summary>Returns when the service fades or ends a session in <paramref name="state"/> accepted at <paramref name="acceptedTicks"/>.</summary>
    public static long Deadline(KeepAliveSettings settings, PresenceState state, long acceptedTicks) =>
        Add(acceptedTicks, settings.Lifetime(state));

    /// <summary>
    /// Returns when the next refresh is due after an acceptance at <paramref name="nowTicks"/>. A state change starts a
    /// new grid one period after its acceptance: acceptances are spread by the rate budget, so the grids are too. A
    /// refresh or retry keeps the session's grid (the next point after now), so one that was late does not push every
    /// later refresh back: each gap between acceptances stays at most one period plus the lateness of the next one.
    /// </summary>
    /// <param name="settings">The engine settings.</param>
    /// <param name="state">The accepted state.</param>
    /// <param name="nowTicks">When it was accepted.</param>
    /// <param name="previousDueTicks">The grid point the send was planned for, or 0 for a state change.</param>
    /// <param name="phase">A value in [0, 1) spreading the first refresh of a long-lived state (see remarks).</param>
    /// <remarks>
    /// A state that lives longer than the inactivity timeout (Busy with a 30-minute lease, say) starts its grid at a phase
    /// of its own, between half a period and a period after the state change: sessions set together (a shift starting)
    /// would otherwise all come back together a lease later, in a clump the budget cannot carry beside everyone else's
    /// refreshes. It costs at most half a request per such state change.
    /// </remarks>
    public static long NextRefresh(KeepAliveSettings settings, PresenceState state, long nowTicks, long previousDueTicks, double phase = 0)
    {
        var period = settings.RefreshPeriod(state).Ticks;
        if (previousDueTicks <= 0 && settings.Lifetime(state) > settings.SessionTimeout)
        {
            return nowTicks + (period / 10) + (long)(period * 0.9 * Math.Clamp(phase, 0, 1));
        }

        if (previousDueTicks <= 0 || previousDueTicks > nowTicks || nowTicks - previousDueTicks >= period)
        {
            // A state change, a refresh sent early (a newer grid applies), or one more than a period late: start anew.
            return nowTicks + period;
        }

        return previousDueTicks + period;
    }

    /// <summary>
    /// Returns where a planned refresh is ordered among the refreshes and retries waiting for the budget: by its deadline
    /// for a state that times out (<c>Available</c>), and for a state that outlives the inactivity timeout (Busy with a
    /// 30-minute lease) by its deadline less the difference, as if it too had one timeout to live.
    /// </summary>
    /// <remarks>
    /// By deadline alone a long-lived state's refresh, due at its own phase, waits behind every Available refresh (whose
    /// deadline is always nearer) until its own deadline comes close: under a full budget the phases were undone, the
    /// Available refreshes went early (at their planned point, a margin before their deadline, using the budget the
    /// long-lived ones needed), and the Busy sessions set together at a shift's start all came back together a lease
    /// later and crowded the Available ones out (docs/performance.md). Ordered this way a long-lived refresh goes soon
    /// after it is due, ahead of Available refreshes that can still wait, those of its kind by deadline; the scheduler
    /// still puts an Available refresh about to miss its deadline first, and the real deadline decides when it has missed.
    /// </remarks>
    public static long RefreshOrder(KeepAliveSettings settings, PresenceState state, long dueTicks, long deadlineTicks)
    {
        var lifetime = settings.Lifetime(state);
        if (lifetime <= settings.SessionTimeout)
        {
            return deadlineTicks;
        }

        return deadlineTicks == long.MaxValue
            ? Add(dueTicks, settings.RefreshMargin)
            : deadlineTicks - (lifetime - settings.SessionTimeout).Ticks;
    }

    /// <summary>
    /// Returns the delay before retry number <paramref name="attempt"/> (from 1): the retry base delay doubling up to the
    /// retry maximum, up to 20% shorter at random so that sessions failing together do not retry together, and at least
    /// the service's <c>Retry-After</c>, which is honoured up to one session timeout.
    /// </summary>
    /// <param name="settings">The engine settings.</param>
    /// <param name="attempt">The retry's number, from 1.</param>
    /// <param name="jitter">A random value in [0, 1].</param>
    /// <param name="retryAfter">The service's <c>Retry-After</c>, if any.</param>
    /// <param name="capped">Set when <paramref name="retryAfter"/> was longer than what is honoured.</param>
    public static TimeSpan RetryDelay(KeepAliveSettings settings, int attempt, double jitter, TimeSpan? retryAfter, out bool capped)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 16);
        var ticks = Math.Min(settings.RetryMaxDelay.Ticks, settings.RetryBaseDelay.Ticks << exponent);
        ticks -= (long)(ticks * 0.2 * jitter);
        capped = false;
        if (retryAfter is { } wait && wait.Ticks > ticks)
        {
            var cap = RetryAfterCap(settings);
            capped = wait > cap;
            ticks = Math.Min(wait.Ticks, cap.Ticks);
        }

        return TimeSpan.FromTicks(Math.Max(ticks, TimeSpan.TicksPerMillisecond));
    }

    /// <summary>
    /// Returns the longest <c>Retry-After</c> honoured: one session timeout. Past it an Available state has faded anyway,
    /// and a proxy's or a skewed clock's huge value must not park a session, or hold the fleet, for hours.
    /// </summary>
    public static TimeSpan RetryAfterCap(KeepAliveSettings settings) => settings.SessionTimeout;

    /// <summary>
    /// Returns the requests per second, in millionths, that keeping a session in <paramref name="state"/> alive needs at
    /// the least: one accepted request per lifetime (its refresh period less the margin is what the engine plans; the
    /// margin absorbs queueing, so the budget runs out only when this minimum exceeds it).
    /// </summary>
    public static int DemandMicros(KeepAliveSettings settings, PresenceState state)
    {
        var lifetime = settings.Lifetime(state);
        var seconds = lifetime == TimeSpan.MaxValue ? double.MaxValue : lifetime.TotalSeconds;
        return (int)Math.Min(int.MaxValue, 1_000_000 / Math.Max(seconds, 1e-3));
    }

    private static long Add(long ticks, TimeSpan span) =>
        span == TimeSpan.MaxValue || ticks > long.MaxValue - span.Ticks ? long.MaxValue : ticks + span.Ticks;
}
