using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.Samples.Tests.WebSample;

/// <summary>
/// The app's view of a <see cref="FakeTimeProvider"/> that counts every timer armed with a finite due time (a retry
/// delay, the scheduler's next wake-up). After a Graph response, the library has finished reacting to it once it arms
/// its next timer: only then may the test move the clock without racing it.
/// </summary>
internal sealed class ObservedTimeProvider(FakeTimeProvider inner) : TimeProvider
{
    private long _armed;

    public long Armed => Interlocked.Read(ref _armed);

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ObservedTimer(this, inner.CreateTimer(callback, state, dueTime, period));
        Count(dueTime);
        return timer;
    }

    private void Count(TimeSpan dueTime)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            Interlocked.Increment(ref _armed);
        }
    }

    private sealed class ObservedTimer(ObservedTimeProvider owner, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Count(dueTime);
            return inner.Change(dueTime, period);
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
