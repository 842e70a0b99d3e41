using System.Diagnostics;
using System.Net;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>What <see cref="SimGraph"/> does with one request.</summary>
internal enum SimOutcome
{
    /// <summary>200: the presence session is refreshed.</summary>
    Accepted,

    /// <summary>429 with <c>Retry-After</c>: over the app's limit, or a throttling fault.</summary>
    Throttled,

    /// <summary>503: a transient service failure (random, or a brownout).</summary>
    Failed,

    /// <summary>No answer: the request completes only when its caller gives up (cancellation or attempt timeout).</summary>
    Hang,
}

/// <summary>
/// An in-memory Graph presence service for the harness, a strict model of Graph's rules:
/// <list type="bullet">
/// <item>Rate limit: every request is counted on arrival; a request that finds <c>limit</c> admitted requests already
/// in the closed window <c>[now − window, now]</c> is answered 429 with <see cref="RetryAfter"/> (and not admitted).
/// Admitted requests count whatever their answer (200, 503 or none).</item>
/// <item>Measurement: the most requests that arrived (admitted or not) in any closed window, exact, from a sliding log
/// of arrival ticks, over the whole run and over a phase the harness marks.</item>
/// <item>Fading, state-aware: an accepted <c>Available</c> session ends <c>min(SessionTimeout, Lease)</c> after the
/// last accept, any other state <c>Lease</c> after it. An accept after that point is a lapse (a gap), as is a user
/// still past it at the end of the run. A user's first accept is not a lapse: its delay from the start is measured
/// separately (late starts: first accept more than <c>SessionTimeout</c> after the start).</item>
/// <item>Faults the harness switches on and off: random 503s on admitted requests (seeded), a brownout (every admitted
/// request 503), a 429 storm (every request 429 with a given Retry-After), hanging users, one throttled user.</item>
/// </list>
/// Answers at once otherwise. Per-user data lives in arrays allocated before the harness's memory baseline.
/// </summary>
internal sealed class SimGraph : IPresenceProtocol
{
    /// <summary>The Retry-After of a request over the limit.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, int> _index;
    private readonly long _startTicks;
    private readonly long[] _lastAccepted;
    private readonly long[] _deadline;
    private readonly long[] _firstAfterMark;
    private readonly int[] _lapses;
    private readonly bool[] _available;
    private readonly long[] _admitted;
    private readonly Queue<long> _arrivals = new();
    private readonly long _windowTicks;
    private readonly long _timeoutTicks;
    private readonly long _availableTicks;
    private readonly long _leaseTicks;
    private int _admittedStart;
    private int _admittedCount;
    private long _markTicks = long.MaxValue;
    private Random _random = new(1);

    public SimGraph(TimeProvider time, string[] users, int limit, TimeSpan window, TimeSpan sessionTimeout, TimeSpan? lease = null)
    {
        _time = time;
        _index = new Dictionary<string, int>(users.Length, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < users.Length; i++)
        {
            _index[users[i]] = i;
        }

        _startTicks = time.GetUtcNow().UtcTicks;
        _lastAccepted = new long[users.Length];
        _deadline = new long[users.Length];
        _firstAfterMark = new long[users.Length];
        _lapses = new int[users.Length];
        _available = new bool[users.Length];
        _admitted = new long[limit];
        _windowTicks = window.Ticks;
        _timeoutTicks = sessionTimeout.Ticks;
        _leaseTicks = (lease ?? sessionTimeout).Ticks;
        _availableTicks = Math.Min(_timeoutTicks, _leaseTicks);
        UserCount = users.Length;
    }

    public PresenceProtocol Protocol => PresenceProtocol.SetPresence;

    public int UserCount { get; }

    /// <summary>Gets or sets the probability that an admitted request fails with 503 (seeded by <see cref="Seed"/>).</summary>
    public double FailureRate { get; set; }

    /// <summary>Gets or sets a value indicating whether every admitted request fails with 503 (a brownout).</summary>
    public bool FailAll { get; set; }

    /// <summary>Gets or sets the Retry-After of a 429 storm: while set, every request is answered 429 with it.</summary>
    public TimeSpan? ThrottleAll { get; set; }

    /// <summary>Gets or sets the users (by index) whose admitted requests never answer; <see langword="null"/>: none.</summary>
    public Func<int, bool>? Hangs { get; set; }

    /// <summary>Gets or sets how long a hanging request waits before it fails as timed out when its caller never cancels
    /// (the HTTP pipeline's attempt timeout, which the fake protocol stands in for).</summary>
    public TimeSpan HangTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Gets or sets one user (by index) answered 429 with <see cref="ThrottledUserRetryAfter"/> until <see cref="ThrottledUserUntil"/>; -1: none.</summary>
    public int ThrottledUser { get; set; } = -1;

    public TimeSpan ThrottledUserRetryAfter { get; set; }

    public DateTimeOffset ThrottledUserUntil { get; set; }

    /// <summary>Gets or sets a value indicating whether a first accept more than the session timeout after the start
    /// counts as a lapse too (the <c>scale</c> mode's rule: every user wants presence from the start).</summary>
    public bool LateStartIsLapse { get; set; }

    /// <summary>Sets the seed of the random failures.</summary>
    public int Seed
    {
        set => _random = new Random(value);
    }

    public long Requests { get; private set; }

    public long Accepted { get; private set; }

    /// <summary>Gets the 429s (over the limit, storm, or the throttled user).</summary>
    public long Throttled { get; private set; }

    /// <summary>Gets the 429s because more than the limit arrived in the window (Graph's own rule, not a fault).</summary>
    public long OverLimit { get; private set; }

    public long Failed { get; private set; }

    public long Hung { get; private set; }

    /// <summary>
    /// Gets the requests that arrived on a thread other than the simulated clock's. The simulation assumes that the
    /// engine's work runs on the clock's timers (inline); work queued to the thread pool does not advance with the
    /// simulated clock, so figures from a run where this is not 0 are not reliable.
    /// </summary>
    public long OffClockThread { get; private set; }

    public long LapseEvents { get; private set; }

    /// <summary>Gets the lapse events of users other than <see cref="ThrottledUser"/>.</summary>
    public long LapseEventsOthers { get; private set; }

    /// <summary>Gets the most requests that arrived in any closed window of the limit's length, over the whole run.</summary>
    public int MaxInWindow { get; private set; }

    /// <summary>Gets the most requests that arrived in any closed window ending after <see cref="MarkPhase"/>.</summary>
    public int PhaseMaxInWindow { get; private set; }

    /// <summary>Gets the longest gap between two accepts of an <c>Available</c> user, in ticks.</summary>
    public long WorstGapAvailable { get; private set; }

    /// <summary>Gets the longest gap between two accepts of a user in any other state, in ticks.</summary>
    public long WorstGapOther { get; private set; }

    /// <summary>Gets the latest first accept, from the start, in ticks.</summary>
    public long WorstFirstAccept { get; private set; }

    /// <summary>Gets the users whose first accept came more than the session timeout after the start.</summary>
    public int LateStarts { get; private set; }

    public long RequestsAvailable { get; private set; }

    public long RequestsOther { get; private set; }

    /// <summary>Gets the time spent inside this handler, in <see cref="Stopwatch"/> ticks.</summary>
    public long HandlerTicks { get; private set; }

    /// <summary>Starts a phase: resets <see cref="PhaseMaxInWindow"/> and the per-user "first accept after the mark".</summary>
    public void MarkPhase()
    {
        lock (_lock)
        {
            _markTicks = _time.GetUtcNow().UtcTicks;
            PhaseMaxInWindow = 0;
            Array.Clear(_firstAfterMark);
        }
    }

    /// <summary>
    /// The time from the last <see cref="MarkPhase"/> until every user (of <paramref name="include"/>, all when null) had an accepted
    /// request again, and how many never had one.
    /// </summary>
    public (TimeSpan? Recovery, int NotRecovered) RecoveryAfterMark(Func<int, bool>? include = null)
    {
        lock (_lock)
        {
            long worst = 0;
            var missing = 0;
            for (var i = 0; i < _firstAfterMark.Length; i++)
            {
                if (include is not null && !include(i))
                {
                    continue;
                }

                if (_firstAfterMark[i] == 0)
                {
                    missing++;
                }
                else
                {
                    worst = Math.Max(worst, _firstAfterMark[i] - _markTicks);
                }
            }

            return (missing == 0 ? TimeSpan.FromTicks(worst) : null, missing);
        }
    }

    // Stands in for the HTTP pipeline, so every attempt passes the app's gate as it would there.
    public Task SetPresenceAsync(string userId, PresenceState state, ActivityContext parent, CancellationToken cancellationToken) =>
        PresenceKeepAlive.Http.Internal.PresenceSendScope.Current?.TryEnterAttempt() == false
            ? throw new InvalidOperationException("An attempt was sent without a place in the budget.")
            : Handle(userId, state, clear: false, cancellationToken);

    public Task ClearPresenceAsync(string userId, ActivityContext parent, CancellationToken cancellationToken) =>
        PresenceKeepAlive.Http.Internal.PresenceSendScope.Current?.TryEnterAttempt() == false
            ? throw new InvalidOperationException("An attempt was sent without a place in the budget.")
            : Handle(userId, null, clear: true, cancellationToken);

    /// <summary>Counts the users past their deadline at the end of the run as lapsed, and returns them and the users ever lapsed.</summary>
    public (long OpenLapses, int UsersLapsed) Finish() => Finish(except: -1);

    /// <summary>The users past their deadline now, and the users ever lapsed, leaving out <paramref name="except"/>.</summary>
    public (long Open, int Users) Finish(int except)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow().UtcTicks;
            long open = 0;
            var users = 0;
            for (var i = 0; i < _lastAccepted.Length; i++)
            {
                if (i == except)
                {
                    continue;
                }

                var deadline = _lastAccepted[i] == 0 ? _startTicks + _timeoutTicks : _deadline[i];
                if (now > deadline)
                {
                    open++;
                }

                if (_lapses[i] > 0 || now > deadline)
                {
                    users++;
                }
            }

            return (open, users);
        }
    }

    /// <summary>Lapse events (gaps, plus one for a user past its deadline now) and users ever lapsed, among <paramref name="include"/>.</summary>
    public (long Events, int Users) LapsesWhere(Func<int, bool> include)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow().UtcTicks;
            long events = 0;
            var users = 0;
            for (var i = 0; i < _lapses.Length; i++)
            {
                if (!include(i))
                {
                    continue;
                }

                var deadline = _lastAccepted[i] == 0 ? _startTicks + _timeoutTicks : _deadline[i];
                var open = now > deadline ? 1 : 0;
                events += _lapses[i] + open;
                if (_lapses[i] + open > 0)
                {
                    users++;
                }
            }

            return (events, users);
        }
    }

    /// <summary>Whether user <paramref name="i"/> ever lapsed, or is past its deadline now.</summary>
    public bool IsLapsed(int i)
    {
        lock (_lock)
        {
            var deadline = _lastAccepted[i] == 0 ? _startTicks + _timeoutTicks : _deadline[i];
            return _lapses[i] > 0 || _time.GetUtcNow().UtcTicks > deadline;
        }
    }

    private Task Handle(string userId, PresenceState? state, bool clear, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var outcome = Decide(userId, state, clear, out var retryAfter);
            return outcome switch
            {
                SimOutcome.Accepted => Task.CompletedTask,
                SimOutcome.Throttled => Task.FromException(new PresenceRequestException("Too many requests.")
                {
                    StatusCode = HttpStatusCode.TooManyRequests,
                    ErrorCode = "TooManyRequests",
                    RetryAfter = retryAfter,
                    UserId = userId,
                }),
                SimOutcome.Failed => Task.FromException(new PresenceRequestException("Service unavailable.")
                {
                    StatusCode = HttpStatusCode.ServiceUnavailable,
                    ErrorCode = "ServiceUnavailable",
                    UserId = userId,
                }),
                _ => HangAsync(userId, cancellationToken),
            };
        }
        finally
        {
            HandlerTicks += Stopwatch.GetTimestamp() - started;
        }
    }

    // Completes only when the caller cancels, or as a timeout after HangTimeout (what the HTTP pipeline's attempt
    // timeout would do). Continuations run inline, on the simulated clock's thread.
    private Task HangAsync(string userId, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource();
        ITimer? timer = null;
        var registration = cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        timer = _time.CreateTimer(
            _ =>
            {
                done.TrySetException(new PresenceRequestException($"setPresence for user '{userId}' timed out before Graph answered.") { UserId = userId });
            },
            null,
            HangTimeout,
            Timeout.InfiniteTimeSpan);
        _ = done.Task.ContinueWith(
            (_, s) =>
            {
                var (t, r) = ((ITimer, CancellationTokenRegistration))s!;
                t.Dispose();
                r.Dispose();
            },
            (timer, registration),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return done.Task;
    }

    /// <summary>
    /// Decides one request at the current time and records it. <paramref name="state"/> is the state sent (null for a
    /// clear; may be null for a set when the caller cannot tell, then it is taken as not <c>Available</c>).
    /// Not timed: callers time themselves.
    /// </summary>
    public SimOutcome Decide(string userId, PresenceState? state, bool clear, out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            retryAfter = default;
            Requests++;
            if (_time is SimTimeProvider sim && sim.DriverThread != Environment.CurrentManagedThreadId)
            {
                OffClockThread++;
            }

            var now = _time.GetUtcNow().UtcTicks;
            var found = _index.TryGetValue(userId, out var i);
            if (state is not null && !clear)
            {
                if (IsAvailable(state))
                {
                    RequestsAvailable++;
                }
                else
                {
                    RequestsOther++;
                }
            }

            // The measurement: every arrival, in a sliding log of the last window.
            var oldest = now - _windowTicks;
            while (_arrivals.Count > 0 && _arrivals.Peek() < oldest)
            {
                _arrivals.Dequeue();
            }

            _arrivals.Enqueue(now);
            MaxInWindow = Math.Max(MaxInWindow, _arrivals.Count);
            if (now >= _markTicks)
            {
                PhaseMaxInWindow = Math.Max(PhaseMaxInWindow, _arrivals.Count);
            }

            if (ThrottleAll is { } storm)
            {
                Throttled++;
                retryAfter = storm;
                return SimOutcome.Throttled;
            }

            if (found && i == ThrottledUser && now < ThrottledUserUntil.UtcTicks)
            {
                Throttled++;
                retryAfter = ThrottledUserRetryAfter;
                return SimOutcome.Throttled;
            }

            // Graph's rule: admission within the limit per closed window.
            while (_admittedCount > 0 && _admitted[_admittedStart] < oldest)
            {
                _admittedStart = (_admittedStart + 1) % _admitted.Length;
                _admittedCount--;
            }

            if (_admittedCount == _admitted.Length)
            {
                Throttled++;
                OverLimit++;
                retryAfter = RetryAfter;
                return SimOutcome.Throttled;
            }

            _admitted[(_admittedStart + _admittedCount) % _admitted.Length] = now;
            _admittedCount++;

            if (found && Hangs is { } hangs && hangs(i))
            {
                Hung++;
                return SimOutcome.Hang;
            }

            if (FailAll || (FailureRate > 0 && _random.NextDouble() < FailureRate))
            {
                Failed++;
                return SimOutcome.Failed;
            }

            Accepted++;
            if (!clear && found)
            {
                Accept(i, state, now);
            }

            return SimOutcome.Accepted;
        }
    }

    private static bool IsAvailable(PresenceState? state) =>
        state is not null && string.Equals(state.Availability, "Available", StringComparison.OrdinalIgnoreCase);

    private void Accept(int i, PresenceState? state, long now)
    {
        var last = _lastAccepted[i];
        if (last == 0)
        {
            var first = now - _startTicks;
            WorstFirstAccept = Math.Max(WorstFirstAccept, first);
            if (first > _timeoutTicks)
            {
                LateStarts++;
                if (LateStartIsLapse)
                {
                    LapseEvents++;
                    _lapses[i]++;
                }
            }
        }
        else
        {
            var gap = now - last;
            if (_available[i])
            {
                WorstGapAvailable = Math.Max(WorstGapAvailable, gap);
            }
            else
            {
                WorstGapOther = Math.Max(WorstGapOther, gap);
            }

            if (now > _deadline[i])
            {
                LapseEvents++;
                if (i != ThrottledUser)
                {
                    LapseEventsOthers++;
                }

                _lapses[i]++;
            }
        }

        var available = IsAvailable(state);
        _available[i] = available;
        _lastAccepted[i] = now;
        _deadline[i] = now + (available ? _availableTicks : _leaseTicks);
        if (now >= _markTicks && _firstAfterMark[i] == 0)
        {
            _firstAfterMark[i] = now;
        }
    }
}
