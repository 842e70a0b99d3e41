namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>
/// A discrete-event clock for long simulations: timers sit in a priority queue and fire in due order, each with the
/// clock set to its exact due time. <c>FakeTimeProvider</c> scans every timer on each advance (fine for tests,
/// quadratic for 100,000 per-user loops) and fires late when advanced in steps, so the harness uses this instead.
/// Counts timer callbacks (wake-ups).
/// </summary>
internal sealed class SimTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly PriorityQueue<(SimTimer Timer, long Generation), (long Due, long Sequence)> _queue = new();
    private long _now;
    private long _sequence;

    public SimTimeProvider(DateTimeOffset start) => _now = start.UtcTicks;

    public long Wakeups { get; private set; }

    /// <summary>Gets the thread that drives the clock (the one that created it, or last called <see cref="RunUntil"/>).
    /// Work that runs elsewhere (the thread pool) does not advance with the simulated clock: the harness counts it.</summary>
    public int DriverThread { get; private set; } = Environment.CurrentManagedThreadId;

    public int PendingTimers
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow() => new(Volatile.Read(ref _now), TimeSpan.Zero);

    public override long GetTimestamp() => Volatile.Read(ref _now);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SimTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Fires every timer due up to <paramref name="end"/>, in order, then sets the clock to it.</summary>
    public void RunUntil(DateTimeOffset end)
    {
        var endTicks = end.UtcTicks;
        DriverThread = Environment.CurrentManagedThreadId;
        while (true)
        {
            SimTimer timer;
            lock (_gate)
            {
                if (!_queue.TryPeek(out var entry, out var key) || key.Due > endTicks)
                {
                    break;
                }

                _queue.Dequeue();
                if (entry.Generation != entry.Timer.Generation)
                {
                    continue;
                }

                timer = entry.Timer;
                _now = Math.Max(_now, key.Due);
                if (timer.PeriodTicks > 0)
                {
                    Enqueue(timer, _now + timer.PeriodTicks);
                }
            }

            Wakeups++;
            timer.Callback(timer.State);
        }

        lock (_gate)
        {
            _now = Math.Max(_now, endTicks);
        }
    }

    private void Enqueue(SimTimer timer, long due) =>
        _queue.Enqueue((timer, timer.Generation), (due, _sequence++));

    private sealed class SimTimer(SimTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public TimerCallback Callback { get; } = callback;

        public object? State { get; } = state;

        public long Generation { get; private set; }

        public long PeriodTicks { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                Generation++;
                PeriodTicks = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    owner.Enqueue(this, owner._now + Math.Max(0, dueTime.Ticks));
                }
            }

            return true;
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                Generation++;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
