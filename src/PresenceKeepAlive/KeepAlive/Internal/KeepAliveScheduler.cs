using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Diagnostics.Internal;

namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>
/// The one scheduler of a session manager: a due-time queue of work items on one <see cref="ITimer"/> from the
/// <see cref="TimeProvider"/>, re-armed to the earliest instant anything can happen (an item falls due or the rate
/// budget refills). Due items wait in a ready queue ordered by <see cref="WorkPriority"/>, then by deadline (oldest
/// first; see <see cref="Key"/> for the over-capacity refinement), and are dispatched while the budget has tokens and fewer than <see cref="MaxConcurrency"/> sends are in flight.
/// </summary>
/// <remarks>
/// Items are never removed: each carries the token its target had when it was queued, and an item whose target has
/// moved on (rescheduled, stopped, disposed) is dropped when it surfaces (lazy deletion). Work runs on whichever
/// thread pumps: the timer's, or the caller's that scheduled it; one thread pumps at a time.
/// </remarks>
internal sealed class KeepAliveScheduler : IAsyncDisposable
{
    /// <summary>The default bound on sends in flight.</summary>
    public const int DefaultMaxConcurrency = 64;

    private readonly object _gate = new();
    private readonly KeepAliveClock _clock;
    private readonly RequestGate _budget;
    private readonly PresenceKeepAliveMetrics _metrics;
    private readonly ILogger _logger;
    private readonly PriorityQueue<WorkItem, long> _timed = new();
    private readonly PriorityQueue<WorkItem, ReadyKey> _ready = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _timer;
    private const int MinCompactThreshold = 1024;
    private int _compactAt = MinCompactThreshold;
    private long _sequence;
    private long _armedAt = long.MaxValue;
    private long _lastBudgetShortageTicks = long.MinValue;
    private long _heldUntilTicks = long.MinValue;
    private int _inFlight;
    private bool _pumping;
    private bool _pumpRequested;
    private bool _stopped;
    private TaskCompletionSource? _drained;

    public KeepAliveScheduler(TimeProvider timeProvider, RequestGate budget, PresenceKeepAliveMetrics metrics, ILogger logger, int maxConcurrency = DefaultMaxConcurrency)
        : this(new KeepAliveClock(timeProvider), budget, metrics, logger, maxConcurrency)
    {
    }

    /// <summary>Initializes a scheduler on <paramref name="clock"/>, which the budget's refill grid must share.</summary>
    public KeepAliveScheduler(KeepAliveClock clock, RequestGate budget, PresenceKeepAliveMetrics metrics, ILogger logger, int maxConcurrency = DefaultMaxConcurrency)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        var timeProvider = clock.TimeProvider;
        _budget = budget;
        _metrics = metrics;
        _logger = logger;
        MaxConcurrency = Math.Max(1, maxConcurrency);

        // The timer must not capture the ambient ExecutionContext of whoever created the manager.
        var restoreFlow = !ExecutionContext.IsFlowSuppressed();
        var flow = restoreFlow ? ExecutionContext.SuppressFlow() : default;
        try
        {
            _timer = timeProvider.CreateTimer(static s => ((KeepAliveScheduler)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        finally
        {
            if (restoreFlow)
            {
                flow.Undo();
            }
        }
    }

    /// <summary>Gets the bound on sends in flight.</summary>
    public int MaxConcurrency { get; }

    /// <summary>Gets the rate budget.</summary>
    public RequestGate Budget => _budget;

    /// <summary>Gets a token cancelled when the scheduler stops; passed to every send.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Gets the number of items queued, stale ones included (for diagnostics and tests).</summary>
    public int QueuedCount
    {
        get
        {
            lock (_gate)
            {
                return _timed.Count + _ready.Count;
            }
        }
    }

    /// <summary>Gets the number of sends in flight.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Gets the current time in UTC ticks, advanced monotonically (see <see cref="KeepAliveClock"/>).</summary>
    public long NowTicks => _clock.NowTicks;

    /// <summary>
    /// Queues <paramref name="target"/> to run at <paramref name="dueTicks"/>. Does not dispatch: call <see cref="Pump"/>
    /// afterwards, outside any lock of the target (its work runs on the pumping thread).
    /// </summary>
    /// <returns><see langword="false"/> when the scheduler has stopped.</returns>
    public bool Schedule(IScheduledWork target, long token, WorkPriority priority, long dueTicks, long deadlineTicks)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return false;
            }

            var item = new WorkItem(target, token, priority, dueTicks, deadlineTicks);
            var now = NowTicks;
            if (dueTicks <= now)
            {
                _ready.Enqueue(item with { ReadyTicks = now }, Key(item, now));
            }
            else
            {
                _timed.Enqueue(item, dueTicks);
                if (_timed.Count > _compactAt)
                {
                    Compact();
                }
            }

            return true;
        }
    }

    /// <summary>Gets when the hold set by <see cref="HoldUntil"/> ends (UTC ticks), or a past time when there is none.</summary>
    public long HeldUntilTicks
    {
        get
        {
            lock (_gate)
            {
                return _heldUntilTicks;
            }
        }
    }

    /// <summary>
    /// Sends no refresh or retry before <paramref name="untilTicks"/>. Graph throttles per app and tenant, so a 429 with
    /// <c>Retry-After</c> for one session means every other send before then would likely be refused too (and spend budget).
    /// </summary>
    public void HoldUntil(long untilTicks)
    {
        lock (_gate)
        {
            if (untilTicks <= _heldUntilTicks)
            {
                return;
            }

            _heldUntilTicks = untilTicks;
        }

        Pump();
    }

    /// <summary>Dispatches everything that can go now and re-arms the timer. Safe to call from any thread, re-entrantly.</summary>
    public void Pump()
    {
        lock (_gate)
        {
            if (_pumping)
            {
                _pumpRequested = true;
                return;
            }

            _pumping = true;
        }

        while (true)
        {
            WorkItem item;
            lock (_gate)
            {
                if (!TryTakeNext(out item))
                {
                    if (_pumpRequested)
                    {
                        _pumpRequested = false;
                        continue;
                    }

                    _pumping = false;
                    Arm();
                    return;
                }

                _inFlight++;
            }

            _ = DispatchAsync(item);
        }
    }

    /// <summary>Stops at once: drops queued work, cancels sends in flight and stops the timer, without waiting for them.</summary>
    public void Stop()
    {
        if (TryStop() is not null)
        {
            _stopping.Cancel();
            _timer.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (TryStop() is not { } drained)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _timer.DisposeAsync().ConfigureAwait(false);

        // Sends observe the stopping token; the protocol is expected to honour it promptly.
        await drained.ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>Marks the scheduler stopped and drops queued work; returns a task that completes when no send is in flight, or <see langword="null"/> if it had already stopped.</summary>
    private Task? TryStop()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return null;
            }

            _stopped = true;
            _timed.Clear();
            _ready.Clear();
            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _inFlight == 0 ? Task.CompletedTask : _drained.Task;
        }
    }

    /// <summary>
    /// Drops stale future items. A session that changes state often leaves one superseded refresh behind per change
    /// until it falls due; rebuilding when the queue doubles keeps memory proportional to live work, at O(1) amortized.
    /// </summary>
    private void Compact()
    {
        var live = new List<(WorkItem, long)>(_timed.Count / 2);
        foreach (var (item, due) in _timed.UnorderedItems)
        {
            if (item.Target.ScheduleToken == item.Token)
            {
                live.Add((item, due));
            }
        }

        _timed.Clear();
        _timed.EnqueueRange(live);
        _compactAt = Math.Max(MinCompactThreshold, live.Count * 2);
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            _armedAt = long.MaxValue;
        }

        Pump();
    }

    private bool TryTakeNext(out WorkItem item)
    {
        item = default;
        if (_stopped)
        {
            return false;
        }

        var now = NowTicks;
        while (_timed.TryPeek(out var due, out var dueTicks) && dueTicks <= now)
        {
            _timed.Dequeue();
            if (due.Target.ScheduleToken == due.Token)
            {
                _ready.Enqueue(due with { ReadyTicks = dueTicks }, Key(due, now));
            }
        }

        var held = now < _heldUntilTicks;
        while (_inFlight < MaxConcurrency && _ready.TryPeek(out var next, out var key))
        {
            if (held && next.Priority != WorkPriority.StateChange)
            {
                // Throttled: refreshes and retries wait for the hold to end (counted as budget waits). State changes and
                // sign-offs, few and what users see, still go, within the budget, ahead of everything else.
                _lastBudgetShortageTicks = now;
                return false;
            }

            if (next.Target.ScheduleToken != next.Token)
            {
                _ready.Dequeue();
                continue;
            }

            if (!key.Missed && next.Priority != WorkPriority.StateChange && next.DeadlineTicks < now)
            {
                // It missed its deadline while waiting: re-key it behind those that still can make theirs.
                _ready.Dequeue();
                _ready.Enqueue(next, key with { Missed = true });
                continue;
            }

            if (!_budget.TryReserve())
            {
                _lastBudgetShortageTicks = now;
                return false;
            }

            _ready.Dequeue();
            if (_lastBudgetShortageTicks >= next.ReadyTicks)
            {
                _metrics.RateBudgetWaited();
            }

            item = next;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Orders ready items: state changes, then refreshes, then retries; within refreshes and retries, those that can
    /// still make their deadline before those that already missed it; then the oldest deadline first. The middle rule
    /// matters only when the budget is over capacity: plain earliest-deadline-first would then let every session
    /// miss (each waits behind all older ones), while this keeps as many sessions alive as the budget can carry and
    /// serves the lapsed ones, oldest first, with what is left. After an outage every session has missed, so desired
    /// states are re-applied oldest deadline first.
    /// </summary>
    private ReadyKey Key(in WorkItem item, long now) =>
        new(item.Priority, item.Priority != WorkPriority.StateChange && item.DeadlineTicks < now, item.DeadlineTicks, _sequence++);

    private void Arm()
    {
        if (_stopped)
        {
            return;
        }

        var wake = long.MaxValue;
        if (_timed.TryPeek(out _, out var dueTicks))
        {
            wake = dueTicks;
        }

        if (_ready.TryPeek(out var head, out _) && _inFlight < MaxConcurrency)
        {
            // Blocked by the budget, or (refreshes and retries) by a throttling hold: wake when it refills and, for
            // those, when the hold has ended.
            var blockedUntil = head.Priority == WorkPriority.StateChange ? _budget.NextFreeTicks(NowTicks) : Math.Max(_budget.NextFreeTicks(NowTicks), _heldUntilTicks);
            wake = Math.Min(wake, blockedUntil);
        }

        if (wake == long.MaxValue || wake == _armedAt)
        {
            return;
        }

        var now = NowTicks;
        _armedAt = wake;
        _timer.Change(TimeSpan.FromTicks(Math.Max(1, wake - now)), Timeout.InfiniteTimeSpan);
    }

    private async Task DispatchAsync(WorkItem item)
    {
        try
        {
            await item.Target.RunAsync(item.Token, item.Priority, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Work items handle their own failures; this is a bug guard so the scheduler keeps going.
            Log.WorkItemFaulted(_logger, ex);
        }
        finally
        {
            TaskCompletionSource? drained = null;
            lock (_gate)
            {
                _inFlight--;
                if (_stopped && _inFlight == 0)
                {
                    drained = _drained;
                }
            }

            drained?.TrySetResult();
        }

        Pump();
    }

    private readonly record struct WorkItem(IScheduledWork Target, long Token, WorkPriority Priority, long DueTicks, long DeadlineTicks)
    {
        public long ReadyTicks { get; init; }
    }

    private readonly record struct ReadyKey(WorkPriority Priority, bool Missed, long DeadlineTicks, long Sequence) : IComparable<ReadyKey>
    {
        public int CompareTo(ReadyKey other)
        {
            var c = Priority.CompareTo(other.Priority);
            if (c != 0)
            {
                return c;
            }

            c = Missed.CompareTo(other.Missed);
            if (c != 0)
            {
                return c;
            }

            c = DeadlineTicks.CompareTo(other.DeadlineTicks);
            return c != 0 ? c : Sequence.CompareTo(other.Sequence);
        }
    }
}
