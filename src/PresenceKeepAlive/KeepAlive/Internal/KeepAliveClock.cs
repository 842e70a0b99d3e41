namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>
/// The engine's clock: "now" in UTC ticks, advanced by the <see cref="TimeProvider"/>'s monotonic timestamp, not
/// read from its wall clock. Due times, deadlines, lapse detection, throttling holds and the rate-budget grid all
/// use it.
/// </summary>
/// <remarks>
/// <para>
/// The scheduler's timer is monotonic, but <see cref="TimeProvider.GetUtcNow"/> is not: NTP or a VM host can step
/// the wall clock. With due times read from the wall clock, a step back of one hour made every due time an hour
/// further away: the timer fired on time, found nothing due and re-armed for an hour later, so sessions went about
/// an hour without a refresh while still reported Active. Hence an anchor taken once (the wall clock and the
/// timestamp at construction) and the elapsed monotonic time added to it. Under <c>FakeTimeProvider</c> the
/// timestamp moves with <c>Advance</c>, so tests see the same instants as before.
/// </para>
/// <para>
/// Suspend and resume are the other way round: the monotonic clock stops while a machine sleeps (Linux, macOS), the
/// wall clock does not. <see cref="CatchUp"/>, called on every scheduler wake-up, moves this clock forward when the wall
/// clock has run ahead of it by more than <see cref="JumpThreshold"/>, so that everything due during the sleep is due
/// now and the lapses it caused are seen. A forward wall-clock step (NTP) looks the same and is treated the same: at
/// worst some refreshes go early. A step back is never followed.
/// </para>
/// <para>
/// The price: after a wall-clock step, instants of this clock shown to callers (<c>LastConfirmedAt</c>,
/// <c>NextRefreshAt</c>) differ from the wall clock by the size of the step. They stay consistent with each other
/// and with the intervals actually waited, which is what matters for keeping presence alive.
/// </para>
/// </remarks>
internal sealed class KeepAliveClock
{
    private readonly TimeProvider _timeProvider;
    private readonly long _anchorUtcTicks;
    private readonly long _anchorTimestamp;
    private readonly object _catchUpLock = new();
    private long _skewTicks;

    public KeepAliveClock(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _anchorUtcTicks = timeProvider.GetUtcNow().UtcTicks;
        _anchorTimestamp = timeProvider.GetTimestamp();
    }

    /// <summary>Gets how far the wall clock may run ahead of this clock before it counts as a suspend and resume.</summary>
    public static TimeSpan JumpThreshold { get; } = TimeSpan.FromSeconds(30);

    public TimeProvider TimeProvider => _timeProvider;

    /// <summary>Gets the current time in UTC ticks: the anchor plus the monotonic time elapsed since it, plus any catch-up.</summary>
    public long NowTicks => _anchorUtcTicks + _timeProvider.GetElapsedTime(_anchorTimestamp).Ticks + Volatile.Read(ref _skewTicks);

    /// <summary>
    /// Moves this clock forward to the wall clock if the wall clock ran ahead of it by more than <see cref="JumpThreshold"/>
    /// (the machine slept while the monotonic clock stood still).
    /// </summary>
    /// <returns>How far the clock moved, or <see cref="TimeSpan.Zero"/>.</returns>
    public TimeSpan CatchUp()
    {
        lock (_catchUpLock)
        {
            var ahead = _timeProvider.GetUtcNow().UtcTicks - NowTicks;
            if (ahead <= JumpThreshold.Ticks)
            {
                return TimeSpan.Zero;
            }

            Volatile.Write(ref _skewTicks, _skewTicks + ahead);
            return TimeSpan.FromTicks(ahead);
        }
    }

    /// <summary>Converts an instant of this clock for display; after a wall-clock step it differs from the wall clock.</summary>
    public static DateTimeOffset ToDateTimeOffset(long ticks) => new(ticks, TimeSpan.Zero);
}
