using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>
/// Read-back: every <see cref="PresenceReadBackOptions.Interval"/>, reads what others see for every session with a
/// confirmed state (<c>getPresencesByUserId</c>, <see cref="PresenceReadBackOptions.BatchSize"/> users a call, one call at
/// a time) and hands each reading to its session. Each call takes a gate place only through
/// <see cref="KeepAliveScheduler.TryReserveSpare"/>: never while a state change, refresh or retry waits, and only with
/// headroom left, so read-back never delays the sessions. A cycle that cannot finish in its interval carries on; the
/// next starts when it ends.
/// </summary>
internal sealed class ReadBackLoop : IDisposable
{
    /// <summary>How long to wait before asking again for a spare place.</summary>
    internal static readonly TimeSpan SpareRetryDelay = TimeSpan.FromSeconds(1);

    private readonly PresenceSessionManager _manager;
    private readonly IPresenceUserProtocol _protocol;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _grace;
    private readonly int _batchSize;
    private readonly double _share;
    private readonly ITimer _timer;
    private readonly object _lock = new();
    private readonly CancellationTokenRegistration _stopRegistration;
    private List<string>? _pending;
    private int _next;
    private long _cycleStartTicks;
    private int _cycleCalls;
    private bool _reading;
    private bool _stopped;
    private long _calls;
    private long _cycles;

    private ReadBackLoop(PresenceSessionManager manager, IPresenceUserProtocol protocol, PresenceReadBackOptions options)
    {
        _manager = manager;
        _protocol = protocol;
        _interval = options.Interval > TimeSpan.Zero ? options.Interval : TimeSpan.FromMinutes(1);
        _grace = options.GracePeriod >= TimeSpan.Zero ? options.GracePeriod : TimeSpan.FromMinutes(2);
        _batchSize = Math.Clamp(options.BatchSize, 1, PresenceReadBackOptions.MaxBatchSize);
        _share = double.IsNaN(options.BudgetShare) ? 0.05 : Math.Clamp(options.BudgetShare, 0.001, 0.25);
        Metrics = new ReadBackMetrics(manager.Metrics.Meter, manager.Metrics.Tags, manager.CountMismatched);

        // The timer must not capture the ambient ExecutionContext of whoever created the manager.
        var restoreFlow = !ExecutionContext.IsFlowSuppressed();
        var flow = restoreFlow ? ExecutionContext.SuppressFlow() : default;
        try
        {
            // Created disarmed and armed below, as the scheduler's timer is: it is a schedule, not a delay a send waits on.
            _timer = manager.TimeProvider.CreateTimer(static s => ((ReadBackLoop)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _stopRegistration = manager.Scheduler.Stopping.Register(static s => ((ReadBackLoop)s!).Dispose(), this);
        }
        finally
        {
            if (restoreFlow)
            {
                flow.Undo();
            }
        }

        Arm(_interval);
    }

    /// <summary>Gets the instruments.</summary>
    internal ReadBackMetrics Metrics { get; }

    /// <summary>Gets the grace period before a difference is reported.</summary>
    internal TimeSpan GracePeriod => _grace;

    /// <summary>Gets a value indicating whether a read call is in flight (for tests that drive a fake clock).</summary>
    internal bool IsReading
    {
        get
        {
            lock (_lock)
            {
                return _reading;
            }
        }
    }

    /// <summary>Gets how many read calls were sent.</summary>
    internal long Calls => Interlocked.Read(ref _calls);

    /// <summary>Gets how many cycles finished.</summary>
    internal long Cycles => Interlocked.Read(ref _cycles);

    /// <summary>Gets the number of calls of the last finished cycle.</summary>
    internal int LastCycleCalls { get; private set; }

    /// <summary>Gets the largest number of calls any finished cycle took.</summary>
    internal int MaxCycleCalls { get; private set; }

    /// <summary>Gets the longest time any finished cycle took, from its start to its last answer.</summary>
    internal TimeSpan MaxCycleTime { get; private set; }

    /// <summary>Gets how often a read found no spare place and waited <see cref="SpareRetryDelay"/>.</summary>
    internal long SpareRefusals { get; private set; }

    /// <summary>Starts read-back for <paramref name="manager"/> when <paramref name="options"/> turn it on and the protocol can read.</summary>
    public static ReadBackLoop? Create(PresenceSessionManager manager, PresenceReadBackOptions? options) =>
        options is { Enabled: true } && manager.Protocol is IPresenceUserProtocol protocol ? new ReadBackLoop(manager, protocol, options) : null;

    public void Dispose()
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        _timer.Dispose();
        _stopRegistration.Dispose();
        Metrics.Dispose();
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            if (_stopped || _reading)
            {
                return;
            }

            if (_pending is null)
            {
                _pending = _manager.ReadBackCandidates();
                _next = 0;
                _cycleCalls = 0;
                _cycleStartTicks = _manager.NowTicks;
            }
        }

        TryReadNext();
    }

    private void TryReadNext()
    {
        List<string> batch;
        lock (_lock)
        {
            if (_stopped || _reading || _pending is null)
            {
                return;
            }

            if (_next >= _pending.Count)
            {
                EndCycleLocked();
                return;
            }

            if (!_manager.Scheduler.TryReserveSpare(_share))
            {
                SpareRefusals++;
                Arm(SpareRetryDelay);
                return;
            }

            batch = _pending.GetRange(_next, Math.Min(_batchSize, _pending.Count - _next));
            _next += batch.Count;
            _reading = true;
        }

        _ = ReadAsync(batch);
    }

    private async Task ReadAsync(List<string> batch)
    {
        var ticket = new SendTicket(_manager.Scheduler.Budget, reserved: true, retriesAllowed: false, _manager.TimeProvider.GetTimestamp());
        var stopping = _manager.Scheduler.Stopping;
        PresenceSendScope.Begin(ticket);
        try
        {
            var seen = await _protocol.GetPresencesAsync(batch, stopping).ConfigureAwait(false);
            Safe(static (m, _) => m.Read("success"), Metrics, 0);
            var now = _manager.NowTicks;
            foreach (var reading in seen)
            {
                _manager.FindSession(reading.UserId)?.OnReadBack(reading, now, _grace, Metrics);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (PresenceRequestException ex)
        {
            Safe(static (m, e) => m.Read(e.StatusCode is { } s ? ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture) : "error"), Metrics, ex);
            if (ex.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
            {
                // No permission: the rest of this cycle would fail the same way.
                Safe(static (l, e) => Log.ReadBackForbidden(l, (int?)e.StatusCode, e.ErrorCode), _manager.Logger, ex);
                lock (_lock)
                {
                    _next = _pending?.Count ?? 0;
                }
            }
            else
            {
                Safe(static (l, a) => Log.ReadBackFailed(l, a.Count, (int?)a.Ex.StatusCode, a.Ex), _manager.Logger, (Count: batch.Count, Ex: ex));
            }
        }
        catch (Exception ex)
        {
            // A bug guard: read-back must never stop the engine.
            Safe(static (l, a) => Log.ReadBackFailed(l, a.Count, null, a.Ex), _manager.Logger, (Count: batch.Count, Ex: ex));
        }
        finally
        {
            ticket.Complete();
            PresenceSendScope.Begin(null);
            Interlocked.Increment(ref _calls);
            lock (_lock)
            {
                _reading = false;
                _cycleCalls++;
            }
        }

        TryReadNext();
    }

    private void EndCycleLocked()
    {
        var count = _pending!.Count;
        var elapsed = TimeSpan.FromTicks(_manager.NowTicks - _cycleStartTicks);
        LastCycleCalls = _cycleCalls;
        MaxCycleCalls = Math.Max(MaxCycleCalls, _cycleCalls);
        MaxCycleTime = elapsed > MaxCycleTime ? elapsed : MaxCycleTime;
        Interlocked.Increment(ref _cycles);
        _pending = null;
        Safe(static (l, a) => Log.ReadBackCycle(l, a.count, a.Calls, a.elapsed), _manager.Logger, (count, Calls: _cycleCalls, elapsed));

        // The next cycle starts one interval after this one started (at once if this one took longer).
        var wait = _interval - elapsed;
        Arm(wait > TimeSpan.Zero ? wait : TimeSpan.FromTicks(1));
    }

    private void Arm(TimeSpan delay)
    {
        try
        {
            _timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Stopped meanwhile.
        }
    }

    private static void Safe<TTarget, TArg>(Action<TTarget, TArg> action, TTarget target, TArg arg)
    {
        try
        {
            action(target, arg);
        }
        catch (Exception)
        {
            // Logging and metrics are best effort.
        }
    }
}
