using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Http.Internal;

namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>
/// The one scheduler of a session manager: a due-time queue of work items on one <see cref="ITimer"/> from the
/// <see cref="TimeProvider"/>, re-armed to the earliest instant anything can happen. Due items wait in a ready queue
/// ordered deadline-first (see <see cref="ReadyKey"/>) and are dispatched while the app's <see cref="RequestGate"/> has a
/// place, fewer than <see cref="MaxConcurrency"/> sends are in flight, no throttling hold applies and the fleet is not
/// backing off.
/// </summary>
/// <remarks>
/// <para>
/// Items are never removed: each carries the token its target had when it was queued, and an item whose target has
/// moved on (rescheduled, stopped, disposed) is dropped when it surfaces (lazy deletion).
/// </para>
/// <para>
/// Sends run on thread-pool threads queued without the execution context (<c>UnsafeQueueUserWorkItem</c>): the thread
/// that pumps (a <c>SetAsync</c> caller's, the timer's, a completing send's) only takes items off the queues, so no
/// user's work runs on another caller's thread, AsyncLocal values, Activity or log scopes.
/// </para>
/// <para>
/// <b>Fleet backoff.</b> When <see cref="OutageThreshold"/> sessions in a row fail transiently right after being
/// accepted (an outage, a 429 storm: the healthy fail too, not only those already failing),
/// the scheduler stops spending the budget on requests that fail: it sends one probe at a time, the ready queue's head,
/// at a growing interval (the retry base delay doubling up to the retry maximum). The first accepted send ends the
/// backoff and the queue drains at the budget's rate, state changes first, then by deadline.
/// </para>
/// </remarks>
internal sealed partial class KeepAliveScheduler : IAsyncDisposable
{
    /// <summary>
    /// How many first failures in a row (sends of sessions whose previous send was accepted) put the fleet into backoff.
    /// Repeated failures of sessions that were already failing do not count: a subset of users whose requests keep
    /// failing or hanging says nothing about the others, which must not be held to one probe at a time.
    /// </summary>
    public const int OutageThreshold = 16;

    private const int MinCompactThreshold = 1024;

    /// <summary>The longest the timer sleeps while work is queued, so that <see cref="KeepAliveClock.CatchUp"/> notices a resume promptly.</summary>
    private static readonly long MaxSleepTicks = TimeSpan.FromSeconds(30).Ticks;

    /// <summary>The most sends queued to the thread pool as one work item.</summary>
    private const int DispatchBatch = 16;

    /// <summary>The shortest time between two timer wake-ups (20 ms: a place of a 50-a-second budget).</summary>
    private static readonly long CoalesceTicks = TimeSpan.FromMilliseconds(20).Ticks;

    private static int s_pendingDispatches;

    private readonly object _gate = new();
    private readonly KeepAliveClock _clock;
    private readonly RequestGate _budget;
    private readonly PresenceKeepAliveMetrics _metrics;
    private readonly ILogger _logger;
    private readonly PriorityQueue<WorkItem, long> _timed = new();
    private readonly PriorityQueue<WorkItem, ReadyKey> _changes = new();
    private readonly PriorityQueue<WorkItem, ReadyKey> _ready = new();
    private readonly PriorityQueue<WorkItem, ReadyKey> _long = new();
    private readonly PriorityQueue<(IScheduledWork Target, long Token), long> _watch = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _timer;
    private readonly long _marginTicks;
    private readonly bool _inlineDispatch;
    private readonly long _probeBaseTicks;
    private readonly long _probeMaxTicks;
    private int _compactAt = MinCompactThreshold;
    private long _sequence;
    private long _armedAt = long.MaxValue;
    private long _readyWakeTicks = long.MaxValue;
    private long _heldUntilTicks = long.MinValue;
    private long _lastWakeTicks = long.MinValue / 2;
    private long _lastShortageTicks = long.MinValue;
    private int _inFlight;
    private bool _pumping;
    private bool _pumpRequested;
    private bool _stopped;
    private bool _watchingReady;
    private int _failStreak;
    private bool _backingOff;
    private bool _probeInFlight;
    private long _probeIntervalTicks;
    private long _nextProbeTicks;
    private long _lastProbeTicks;
    private double _failureRatio;
    private TaskCompletionSource? _drained;

    /// <summary>Initializes a scheduler on the gate's clock.</summary>
    /// <param name="budget">The app's gate; its clock is the scheduler's.</param>
    /// <param name="settings">The engine settings (margin, retry delays, concurrency).</param>
    /// <param name="metrics">The instruments.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="inlineDispatch">
    /// Runs each send on the pumping thread instead of the thread pool. Only for simulations that drive every timer of a
    /// fake clock on one thread (the scale harness): there a send queued to the pool would run after simulated time moved on.
    /// </param>
    public KeepAliveScheduler(RequestGate budget, KeepAliveSettings settings, PresenceKeepAliveMetrics metrics, ILogger logger, bool inlineDispatch = false)
    {
        _inlineDispatch = inlineDispatch;
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentNullException.ThrowIfNull(settings);
        _clock = budget.Clock;
        _budget = budget;
        _metrics = metrics;
        _logger = logger;
        MaxConcurrency = Math.Max(1, settings.MaxConcurrency);
        _marginTicks = settings.RefreshMargin.Ticks;
        _probeBaseTicks = settings.RetryBaseDelay.Ticks;
        _probeMaxTicks = settings.RetryMaxDelay.Ticks;
        _probeIntervalTicks = _probeBaseTicks;

        // The timer must not capture the ambient ExecutionContext of whoever created the manager.
        var restoreFlow = !ExecutionContext.IsFlowSuppressed();
        var flow = restoreFlow ? ExecutionContext.SuppressFlow() : default;
        try
        {
            _timer = _clock.TimeProvider.CreateTimer(static s => ((KeepAliveScheduler)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
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

    /// <summary>Gets the app's request gate.</summary>
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
                return _timed.Count + _changes.Count + _ready.Count + _long.Count;
            }
        }
    }

    /// <summary>Gets the number of sends in flight.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Gets the number of dispatched items, across all schedulers of the process, whose thread-pool work item has not
    /// yet run to its first wait: zero means every send that could start has started (tests settle on it after moving
    /// a fake clock).
    /// </summary>
    internal static int PendingDispatches => Volatile.Read(ref s_pendingDispatches);

    /// <summary>
    /// Gets a value indicating whether only a move of the clock can release more work: no pump is running and no
    /// dispatched item waits for a thread (for test harnesses that drive a fake clock).
    /// </summary>
    internal bool WaitsForClock
    {
        get
        {
            lock (_gate)
            {
                return !_pumping && PendingDispatches == 0;
            }
        }
    }

    /// <summary>Gets when the scheduler's timer fires next (engine ticks), or <see cref="long.MaxValue"/> when it is not armed.</summary>
    internal long ArmedAtTicks
    {
        get
        {
            lock (_gate)
            {
                return _armedAt;
            }
        }
    }

    /// <summary>Gets a value indicating whether the fleet is backing off (every recent send failed transiently).</summary>
    public bool BackingOff
    {
        get
        {
            lock (_gate)
            {
                return _backingOff;
            }
        }
    }

    /// <summary>Gets the share of recent sends that failed transiently (an exponentially weighted mean over about 256 sends).</summary>
    public double FailureRatio
    {
        get
        {
            lock (_gate)
            {
                return _failureRatio;
            }
        }
    }

    /// <summary>Gets the current time in UTC ticks, advanced monotonically (see <see cref="KeepAliveClock"/>).</summary>
    public long NowTicks => _clock.NowTicks;

    /// <summary>
    /// Queues <paramref name="target"/> to run at <paramref name="dueTicks"/>. Does not dispatch: call <see cref="Pump()"/>
    /// afterwards, outside any lock of the target.
    /// </summary>
    /// <returns><see langword="false"/> when the scheduler has stopped.</returns>
    /// <param name="target">The work.</param>
    /// <param name="token">The target's token for this item.</param>
    /// <param name="priority">What the item is for.</param>
    /// <param name="dueTicks">When it is due.</param>
    /// <param name="deadlineTicks">When the session lapses if no send of it has been accepted by then.</param>
    /// <param name="orderTicks">
    /// Where a refresh or retry is ordered among the others (at most <paramref name="deadlineTicks"/>); its deadline when
    /// omitted (zero). A long-lived state's refresh is ordered earlier than its deadline (see <c>SessionTiming.RefreshOrder</c>).
    /// </param>
    /// <param name="nowTicks">The engine time the caller has just read, or zero to read it here.</param>
    public bool Schedule(IScheduledWork target, long token, WorkPriority priority, long dueTicks, long deadlineTicks, long orderTicks = 0, long nowTicks = 0)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return false;
            }

            var item = new WorkItem(target, token, priority, dueTicks, deadlineTicks, orderTicks == 0 ? deadlineTicks : Math.Min(orderTicks, deadlineTicks));
            var now = nowTicks != 0 ? nowTicks : NowTicks;
            if (dueTicks <= now)
            {
                EnqueueReady(item, now);
            }
            else
            {
                _timed.Enqueue(item, dueTicks);
                if (priority != WorkPriority.StateChange && dueTicks > deadlineTicks)
                {
                    // A retry that backs off past the deadline: the session lapses before it is sent, and must say so then.
                    _watch.Enqueue((target, token), deadlineTicks);
                }

                if (_timed.Count > _compactAt)
                {
                    Compact();
                }
            }

            return true;
        }
    }

    /// <summary>
    /// Holds refreshes and retries until <paramref name="untilTicks"/>, but none past its deadline minus the margin.
    /// Graph throttles per app and tenant, so a 429 with <c>Retry-After</c> for one session means other sends before then
    /// would likely be refused too (and spend budget); a session about to lapse is sent anyway.
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

    /// <summary>Tells the scheduler how a send it dispatched ended, for the fleet backoff and the failure ratio.</summary>
    /// <param name="outcome">The outcome.</param>
    /// <param name="retryAfter">The <c>Retry-After</c> of a throttled answer, or zero.</param>
    /// <param name="firstFailure">Whether a failed send was the session's first since an accepted one (or since it started).</param>
    internal void ReportOutcome(SendOutcome outcome, TimeSpan retryAfter = default, bool firstFailure = true)
    {
        var log = 0;
        lock (_gate)
        {
            if (outcome == SendOutcome.Permanent)
            {
                // Says nothing about the service's health (a bad id, a missing permission).
                return;
            }

            var failed = outcome == SendOutcome.Transient;
            _failureRatio += ((failed ? 1.0 : 0.0) - _failureRatio) / 256;
            if (!failed)
            {
                _failStreak = 0;
                _probeInFlight = false;
                if (_backingOff)
                {
                    _backingOff = false;
                    _probeIntervalTicks = _probeBaseTicks;
                    log = -1;
                }
            }
            else
            {
                if (firstFailure)
                {
                    _failStreak++;
                }

                var now = NowTicks;
                if (_backingOff)
                {
                    if (_probeInFlight)
                    {
                        _probeInFlight = false;
                        _probeIntervalTicks = Math.Min(_probeIntervalTicks * 2, _probeMaxTicks);
                        _nextProbeTicks = now + Math.Max(_probeIntervalTicks, retryAfter.Ticks);
                    }
                }
                else if (_failStreak >= OutageThreshold)
                {
                    _backingOff = true;
                    _probeInFlight = false;
                    _probeIntervalTicks = _probeBaseTicks;
                    _nextProbeTicks = now + Math.Max(_probeIntervalTicks, retryAfter.Ticks);
                    log = 1;
                }
            }
        }

        try
        {
            if (log > 0)
            {
                Log.FleetBackingOff(_logger, OutageThreshold);
            }
            else if (log < 0)
            {
                Log.FleetRecovered(_logger);
            }
        }
        catch (Exception)
        {
            // A failing log provider must not stop the engine.
        }

        if (log < 0)
        {
            Pump();
        }
    }

    /// <summary>Dispatches everything that can go now and re-arms the timer. Safe to call from any thread, re-entrantly.</summary>
    public void Pump() => Pump(null);

    /// <summary>
    /// Dispatches everything that can go now and re-arms the timer, like <see cref="Pump()"/>; if among what goes now is
    /// a state change of <paramref name="caller"/> (the session whose <c>SetAsync</c> or <c>ClearAsync</c> is pumping),
    /// that one send runs on the calling thread, in the caller's execution context, after every other item taken has
    /// been queued to the thread pool. Other users' sends never run here.
    /// </summary>
    /// <param name="caller">The session whose own state change may run inline, or <see langword="null"/>.</param>
    public void Pump(IScheduledWork? caller)
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

        List<(IScheduledWork Target, long Token)>? missed = null;
        List<Dispatch>? batch = null;
        var now = long.MinValue;
        var own = default(WorkItem);
        SendTicket? ownTicket = null;
        var ownProbe = false;
        try
        {
            while (true)
            {
                WorkItem item;
                bool retriesAllowed;
                bool probe;
                lock (_gate)
                {
                    // The clock is read once a pump, and again when another pump was asked for meanwhile: reading it was a
                    // good part of the engine's own cost per send. (A moment behind is on the safe side for the gate.)
                    if (now == long.MinValue)
                    {
                        now = NowTicks;
                    }

                    CollectMissedDeadlines(ref missed, now);
                    if (!TryTakeNext(out item, now))
                    {
                        if (_pumpRequested)
                        {
                            _pumpRequested = false;
                            now = long.MinValue;
                            continue;
                        }

                        _pumping = false;
                        Arm(now);
                        break;
                    }

                    _inFlight++;
                    retriesAllowed = !_backingOff;
                    probe = _backingOff;
                }

                var ticket = new SendTicket(_budget, reserved: true, retriesAllowed, _clock.TimeProvider.GetTimestamp());
                if (ownTicket is null && caller is not null && ReferenceEquals(item.Target, caller) && item.Priority == WorkPriority.StateChange)
                {
                    // The caller's own state change: sent on its thread once the others taken with it are on their way.
                    own = item;
                    ownTicket = ticket;
                    ownProbe = probe;
                    continue;
                }

                if (_inlineDispatch)
                {
                    _ = DispatchAsync(item, ticket, probe);
                    continue;
                }

                // Queued in batches: one thread-pool work item per DispatchBatch sends taken in this pump (each send still
                // starts on a pool thread with no execution context), not one each.
                Interlocked.Increment(ref s_pendingDispatches);
                (batch ??= new List<Dispatch>(4)).Add(new Dispatch(item, ticket, probe));
                if (batch.Count == DispatchBatch)
                {
                    QueueBatch(batch);
                    batch = null;
                }
            }
        }
        catch
        {
            lock (_gate)
            {
                _pumping = false;
            }

            if (batch is not null)
            {
                QueueBatch(batch);
            }

            if (ownTicket is not null)
            {
                // Taken but not started: let it go the usual way rather than leak its place and its in-flight count.
                _ = DispatchAsync(own, ownTicket, ownProbe);
            }

            throw;
        }

        if (batch is not null)
        {
            QueueBatch(batch);
        }

        if (ownTicket is not null)
        {
            // Runs to the send's first wait here; its completion continues on whichever thread completes the request. Not
            // on the caller's SynchronizationContext (a UI thread's, say): a continuation posted there would wait for a
            // caller that may be blocking on this very call.
            var context = SynchronizationContext.Current;
            if (context is not null)
            {
                SynchronizationContext.SetSynchronizationContext(null);
            }

            try
            {
                _ = DispatchAsync(own, ownTicket, ownProbe);
            }
            finally
            {
                if (context is not null)
                {
                    SynchronizationContext.SetSynchronizationContext(context);
                }
            }
        }

        if (missed is not null)
        {
            foreach (var (target, token) in missed)
            {
                target.OnDeadlinePassed(token);
            }
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
            _changes.Clear();
            _ready.Clear();
            _long.Clear();
            _watch.Clear();
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
            _lastWakeTicks = NowTicks;
        }

        // After a suspend the monotonic clock lags the wall clock: catch up, so what fell due during the sleep is due now.
        var jump = _clock.CatchUp();
        if (jump > TimeSpan.Zero)
        {
            try
            {
                Log.ClockCaughtUp(_logger, jump);
            }
            catch (Exception)
            {
                // A failing log provider must not stop the engine.
            }
        }

        Pump();
    }

    private void EnqueueReady(in WorkItem item, long now)
    {
        var key = Key(item, now);
        if (item.Priority == WorkPriority.StateChange)
        {
            _changes.Enqueue(item, key);
            return;
        }

        // A long-lived state's refresh, ordered ahead of its deadline, waits in a queue of its own (see TryTakeNext).
        (item.OrderTicks < item.DeadlineTicks ? _long : _ready).Enqueue(item, key);
        if (_watchingReady && item.Priority != WorkPriority.StateChange && !key.Missed)
        {
            _watch.Enqueue((item.Target, item.Token), item.DeadlineTicks);
        }
    }

    /// <summary>Takes the watched items whose deadline has passed; their targets are told outside the lock.</summary>
    private void CollectMissedDeadlines(ref List<(IScheduledWork Target, long Token)>? missed, long now)
    {
        if (_stopped)
        {
            return;
        }

        while (_watch.TryPeek(out var watched, out var deadline) && deadline < now)
        {
            _watch.Dequeue();
            if (watched.Target.ScheduleToken == watched.Token)
            {
                (missed ??= []).Add(watched);
            }
        }
    }

    private bool TryTakeNext(out WorkItem item, long now)
    {
        item = default;
        _readyWakeTicks = long.MaxValue;
        if (_stopped)
        {
            return false;
        }

        while (_timed.TryPeek(out var due, out var dueTicks) && dueTicks <= now)
        {
            _timed.Dequeue();
            if (due.Target.ScheduleToken == due.Token)
            {
                EnqueueReady(due, now);
            }
        }

        while (true)
        {
            var fromLong = false;
            while (_changes.TryPeek(out var stale, out _) && stale.Target.ScheduleToken != stale.Token)
            {
                _changes.Dequeue();
            }

            var hasReady = PeekKeep(_ready, now, out var keep, out var keepKey);
            var urgentAt = hasReady && !keepKey.Missed ? keep.DeadlineTicks - (_marginTicks / 10) : long.MaxValue;
            if (PeekKeep(_long, now, out var early, out var earlyKey))
            {
                if (!earlyKey.Missed)
                {
                    urgentAt = Math.Min(urgentAt, early.DeadlineTicks - (_marginTicks / 10));
                }

                // Refreshes by deadline, and long-lived states' refreshes by their due time plus a margin: the earlier of the
                // two heads goes, but a deadline about to pass (a tenth of the margin left) goes before a long-lived state's
                // refresh that could still wait (its deadline is later).
                var readyUrgent = hasReady && !keepKey.Missed && now >= keep.DeadlineTicks - (_marginTicks / 10);
                if (!hasReady || (!readyUrgent && earlyKey.CompareTo(keepKey) < 0) || (readyUrgent && !earlyKey.Missed && early.DeadlineTicks < keep.DeadlineTicks))
                {
                    keep = early;
                    keepKey = earlyKey;
                    fromLong = true;
                }

                hasReady = true;
            }

            var hasKeep = hasReady;
            var hasChange = _changes.TryPeek(out _, out _);
            if (!hasChange && !hasKeep)
            {
                _watchingReady = false;
                return false;
            }

            if (_inFlight >= MaxConcurrency)
            {
                // A completing send pumps again.
                return Blocked(now, long.MaxValue);
            }

            // State changes and sign-offs first: they are what users see. Only a refresh or retry that would otherwise
            // miss its deadline (a tenth of the margin left) goes before them: a mass start of state changes must not lapse
            // the sessions already kept. (Half the margin was measured too: it starved state changes once refreshes filled
            // the budget and lowered the all-Available capacity to 14,388; see docs/performance.md.)
            var urgent = hasKeep && !keepKey.Missed && now >= keep.DeadlineTicks - (_marginTicks / 10);
            var takeKeep = hasKeep && (urgent || !hasChange);
            if (takeKeep && now < _heldUntilTicks && now < keep.DeadlineTicks - _marginTicks)
            {
                // Throttled: refreshes and retries wait for the hold to end, but none past its deadline minus the margin.
                // (State changes and sign-offs, few and what users see, are never held.)
                return Blocked(now, Math.Min(_heldUntilTicks, keep.DeadlineTicks - _marginTicks));
            }

            if (_backingOff)
            {
                // The fleet is failing: one probe at a time, at the backoff interval (a finishing probe pumps again). A
                // state change, or the refresh of a session whose last send was accepted, is probed at the base interval:
                // it is what users see or likely to succeed, and a subset of failing users must not delay it for long.
                var probeAt = _nextProbeTicks;
                if (!takeKeep || keep.Priority == WorkPriority.Refresh)
                {
                    probeAt = Math.Min(probeAt, _lastProbeTicks + _probeBaseTicks);
                }

                if (_probeInFlight || now < probeAt)
                {
                    return Blocked(now, _probeInFlight ? long.MaxValue : probeAt);
                }
            }

            if (!_budget.TryReserve(now))
            {
                var wake = _budget.NextFreeTicks(now);
                if (hasKeep && hasChange && !urgent && urgentAt > now)
                {
                    // Wake when a waiting refresh turns urgent, too.
                    wake = Math.Min(wake, urgentAt);
                }

                return Blocked(now, wake);
            }

            var next = !takeKeep ? _changes.Dequeue() : fromLong ? _long.Dequeue() : _ready.Dequeue();
            if (_backingOff)
            {
                _probeInFlight = true;
                _lastProbeTicks = now;
            }

            if (_lastShortageTicks >= next.DueTicks)
            {
                SafeMetric(static m => m.RateBudgetWaited(), _metrics);
            }

            if (_ready.Count + _long.Count == 0)
            {
                _watchingReady = false;
            }

            item = next;
            return true;
        }
    }

    /// <summary>
    /// Peeks the head of a queue of refreshes and retries, dropping stale items and putting those that missed their
    /// deadline while waiting behind those that can still make theirs.
    /// </summary>
    private static bool PeekKeep(PriorityQueue<WorkItem, ReadyKey> queue, long now, out WorkItem item, out ReadyKey key)
    {
        while (queue.TryPeek(out item, out key))
        {
            if (item.Target.ScheduleToken != item.Token)
            {
                queue.Dequeue();
                continue;
            }

            if (!key.Missed && item.DeadlineTicks < now)
            {
                queue.Dequeue();
                queue.Enqueue(item, key with { Missed = true });
                continue;
            }

            return true;
        }

        return false;
    }

    /// <summary>Notes that ready items must wait until <paramref name="wakeTicks"/>; from now on they are watched for missed deadlines.</summary>
    private bool Blocked(long now, long wakeTicks)
    {
        _lastShortageTicks = now;
        _readyWakeTicks = wakeTicks;
        if (!_watchingReady)
        {
            _watchingReady = true;
            foreach (var queue in new[] { _ready, _long })
            {
                foreach (var (waiting, key) in queue.UnorderedItems)
                {
                    if (waiting.Priority != WorkPriority.StateChange && !key.Missed)
                    {
                        _watch.Enqueue((waiting.Target, waiting.Token), waiting.DeadlineTicks);
                    }
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Orders ready items within their queue: state changes and sign-offs oldest first; refreshes and retries together,
    /// those that can still make their deadline before those that already missed it, each by deadline. State changes go
    /// before refreshes and retries. Plain
    /// earliest-deadline-first would let every session miss when the budget is over capacity (each waits behind all
    /// older ones); this keeps as many alive as the budget can carry and serves the lapsed ones, oldest first, with
    /// what is left.
    /// </summary>
    private ReadyKey Key(in WorkItem item, long now)
    {
        var keep = item.Priority != WorkPriority.StateChange;
        return new(keep ? 1 : 0, keep && item.DeadlineTicks < now, keep ? item.OrderTicks : item.DeadlineTicks, _sequence++);
    }

    private void Arm(long now)
    {
        if (_stopped)
        {
            return;
        }

        var wake = _readyWakeTicks;
        if (_timed.TryPeek(out _, out var dueTicks))
        {
            wake = Math.Min(wake, dueTicks);
        }

        if (_watch.TryPeek(out _, out var deadline))
        {
            // A watched deadline is missed at the first tick after it.
            wake = Math.Min(wake, deadline + 1);
        }

        if (_timed.Count + _changes.Count + _ready.Count + _long.Count > 0)
        {
            wake = Math.Min(wake, now + MaxSleepTicks);
        }

        if (wake != long.MaxValue && wake < _lastWakeTicks + CoalesceTicks)
        {
            // At most one timer wake-up per CoalesceTicks: refreshes planned a moment apart (thousands of sessions, each on
            // its own phase) go together, a few milliseconds late, instead of costing a wake-up and a hand-off each.
            wake = _lastWakeTicks + CoalesceTicks;
        }

        if (wake == long.MaxValue || (_armedAt != long.MaxValue && _armedAt <= wake))
        {
            // Already armed no later: a wake-up earlier than needed only pumps and re-arms. (Re-arming on every pump, for
            // a limit that moves with the clock, cost a timer-queue update per send.)
            return;
        }

        _armedAt = wake;
        _timer.Change(TimeSpan.FromTicks(Math.Max(1, wake - now)), Timeout.InfiniteTimeSpan);
    }

    private async Task DispatchAsync(WorkItem item, SendTicket ticket, bool probe)
    {
        try
        {
            await item.Target.RunAsync(item.Token, item.Priority, ticket, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Work items handle their own failures; this is a bug guard so the scheduler keeps going.
            try
            {
                Log.WorkItemFaulted(_logger, ex);
            }
            catch (Exception)
            {
                // Nothing more can be done with a failing log provider.
            }
        }
        finally
        {
            ticket.Complete();
            TaskCompletionSource? drained = null;
            lock (_gate)
            {
                _inFlight--;
                if (probe && _probeInFlight)
                {
                    // The probe ended without an outcome (its session had moved on): let the next one go.
                    _probeInFlight = false;
                }

                if (_stopped && _inFlight == 0)
                {
                    drained = _drained;
                }
            }

            drained?.TrySetResult();
        }

        Pump();
    }

    private void QueueBatch(List<Dispatch> batch) =>
        ThreadPool.UnsafeQueueUserWorkItem(
            static s =>
            {
                foreach (var d in s.Batch)
                {
                    try
                    {
                        // Each send runs to its first wait; the execution context is the pool's clean one for every
                        // one of them (an async method's AsyncLocal changes end with it).
                        _ = s.Scheduler.DispatchAsync(d.Item, d.Ticket, d.Probe);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref s_pendingDispatches);
                    }
                }
            },
            (Scheduler: this, Batch: batch),
            preferLocal: false);

    private static void SafeMetric(Action<PresenceKeepAliveMetrics> record, PresenceKeepAliveMetrics metrics)
    {
        try
        {
            record(metrics);
        }
        catch (Exception)
        {
            // A throwing MeterListener callback must not stop the scheduler.
        }
    }

    private readonly record struct Dispatch(WorkItem Item, SendTicket Ticket, bool Probe);

    private readonly record struct WorkItem(IScheduledWork Target, long Token, WorkPriority Priority, long DueTicks, long DeadlineTicks, long OrderTicks);

    /// <summary>
    /// The order within a ready queue: missed last, then deadline, then arrival. (Putting a session's repeated retries
    /// behind other sessions' refreshes was measured: with refreshes arriving in paced bursts a retry then waited out
    /// the burst and lapsed, and the capacity with 1% failures fell from 14,482 to 1,568.)
    /// </summary>
    private readonly record struct ReadyKey(int Class, bool Missed, long OrderTicks, long Sequence) : IComparable<ReadyKey>
    {
        public int CompareTo(ReadyKey other)
        {
            var c = Missed.CompareTo(other.Missed);
            if (c != 0)
            {
                return c;
            }

            c = Class.CompareTo(other.Class);
            if (c != 0)
            {
                return c;
            }

            c = OrderTicks.CompareTo(other.OrderTicks);
            return c != 0 ? c : Sequence.CompareTo(other.Sequence);
        }
    }
}

/// <summary>How a dispatched send ended, as the scheduler counts it.</summary>
internal enum SendOutcome
{
    /// <summary>Accepted.</summary>
    Accepted,

    /// <summary>Failed transiently (408, 429, 5xx, network, timeout, token acquisition).</summary>
    Transient,

    /// <summary>Failed permanently (400, 401, 403, 404): nothing to learn about the service's health.</summary>
    Permanent,
}
