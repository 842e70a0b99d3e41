using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.IntegrationTests.Infrastructure;

/// <summary>
/// The library's view of the shared <see cref="FakeTimeProvider"/>: the same clock, plus a record of every timer the
/// library creates (Polly's retry delays among them), so a test can wait until a delay has been asked for before it
/// advances the clock past it.
/// </summary>
internal sealed class ObservedTimeProvider : TimeProvider
{
    private readonly FakeTimeProvider _inner;
    private readonly ConcurrentQueue<TimeSpan> _timerDueTimes = new();

    public ObservedTimeProvider(FakeTimeProvider inner) => _inner = inner;

    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    public override long TimestampFrequency => _inner.TimestampFrequency;

    /// <summary>Gets the due time of every timer created so far, in creation order.</summary>
    public IReadOnlyCollection<TimeSpan> TimerDueTimes => _timerDueTimes;

    public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

    public override long GetTimestamp() => _inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _timerDueTimes.Enqueue(dueTime);
        return _inner.CreateTimer(callback, state, dueTime, period);
    }
}
