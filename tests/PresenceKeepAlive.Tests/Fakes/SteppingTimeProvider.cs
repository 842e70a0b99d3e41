using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.Tests.Fakes;

/// <summary>
/// A <see cref="FakeTimeProvider"/> whose wall clock can be stepped (as NTP or a VM host does) while its monotonic
/// timestamp and timers keep moving with <see cref="FakeTimeProvider.Advance"/> only.
/// </summary>
internal sealed class SteppingTimeProvider(FakeTimeProvider inner) : TimeProvider
{
    private long _offsetTicks;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override long TimestampFrequency => inner.TimestampFrequency;

    /// <summary>Steps the wall clock by <paramref name="step"/> (negative: back), leaving timestamps and timers alone.</summary>
    public void StepWallClock(TimeSpan step) => Interlocked.Add(ref _offsetTicks, step.Ticks);

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    public override long GetTimestamp() => inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);
}
