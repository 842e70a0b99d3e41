using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.IntegrationTests.Infrastructure;

/// <summary>
/// The library's view of the shared <see cref="FakeTimeProvider"/>: the same clock, plus a record of every timer the
/// library creates. Timers that are delays (Polly's retry waits, <c>TimeProvider.Delay</c>), as opposed to timeouts
/// (state <see cref="CancellationTokenSource"/>) or the scheduler's timer (created disarmed), are tracked while armed:
/// a send in flight whose delay is armed waits for the fake clock, not for the socket.
/// </summary>
internal sealed class ObservedTimeProvider : TimeProvider
{
    private readonly FakeTimeProvider _inner;
    private readonly ConcurrentQueue<TimeSpan> _timerDueTimes = new();
    private readonly HashSet<ObservedTimer> _armedDelays = [];

    public ObservedTimeProvider(FakeTimeProvider inner) => _inner = inner;

    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    public override long TimestampFrequency => _inner.TimestampFrequency;

    /// <summary>Gets the due time of every timer created so far, in creation order.</summary>
    public IReadOnlyCollection<TimeSpan> TimerDueTimes => _timerDueTimes;

    /// <summary>Gets how many delays are armed and have not fired.</summary>
    public int ArmedDelays
    {
        get
        {
            lock (_armedDelays)
            {
                return _armedDelays.Count;
            }
        }
    }

    /// <summary>Gets when the earliest armed delay fires, if any.</summary>
    public DateTimeOffset? NextDelayDue
    {
        get
        {
            lock (_armedDelays)
            {
                return _armedDelays.Count == 0 ? null : _armedDelays.Min(t => t.DueAt);
            }
        }
    }

    public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

    public override long GetTimestamp() => _inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var isDelay = dueTime != Timeout.InfiniteTimeSpan && state is not CancellationTokenSource;
        var timer = new ObservedTimer(this, callback, state, isDelay);
        timer.Arm(dueTime, period, () => timer.Inner = _inner.CreateTimer(static s => ((ObservedTimer)s!).Fire(), timer, dueTime, period));

        // Recorded once the timer is registered with the fake clock: advancing after seeing it here always counts.
        _timerDueTimes.Enqueue(dueTime);
        return timer;
    }

    private void SetArmed(ObservedTimer timer, bool armed)
    {
        lock (_armedDelays)
        {
            if (armed)
            {
                _armedDelays.Add(timer);
            }
            else
            {
                _armedDelays.Remove(timer);
            }
        }
    }

    private sealed class ObservedTimer : ITimer
    {
        private readonly ObservedTimeProvider _owner;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private readonly bool _isDelay;
        private bool _periodic;
        private int _fires;

        public ObservedTimer(ObservedTimeProvider owner, TimerCallback callback, object? state, bool isDelay)
        {
            _owner = owner;
            _callback = callback;
            _state = state;
            _isDelay = isDelay;
        }

        public ITimer? Inner { get; set; }

        public DateTimeOffset DueAt { get; private set; }

        /// <summary>Registers with the fake clock, then tracks the delay as armed unless it fired meanwhile.</summary>
        public void Arm(TimeSpan dueTime, TimeSpan period, Action register)
        {
            var firesBefore = Volatile.Read(ref _fires);
            var now = _owner.GetUtcNow();
            register();
            if (!_isDelay)
            {
                return;
            }

            _periodic = period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero;
            var armed = dueTime != Timeout.InfiniteTimeSpan && (_periodic || Volatile.Read(ref _fires) == firesBefore);
            DueAt = now + (armed ? dueTime : TimeSpan.Zero);
            _owner.SetArmed(this, armed);
        }

        public void Fire()
        {
            Interlocked.Increment(ref _fires);
            if (_isDelay && !_periodic)
            {
                _owner.SetArmed(this, false);
            }

            _callback(_state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = false;
            Arm(dueTime, period, () => changed = Inner!.Change(dueTime, period));
            return changed;
        }

        public void Dispose()
        {
            _owner.SetArmed(this, false);
            Inner?.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            _owner.SetArmed(this, false);
            return Inner?.DisposeAsync() ?? ValueTask.CompletedTask;
        }
    }
}
