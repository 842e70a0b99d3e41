using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>
/// The sessions of one application registration, sharing one <see cref="KeepAliveScheduler"/> and one
/// <see cref="RequestGate"/>.
/// </summary>
internal sealed partial class PresenceSessionManager : IPresenceSessionManager, IAsyncDisposable, IDisposable
{
    private readonly ConcurrentDictionary<string, PresenceSession> _sessions = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _timeProvider;
    private readonly Random _random;
    private long _keptCount;
    private long _demandMicros;
    private int _signedOffAll;
    private long _phaseIndex;
    private int _overCapacity;
    private int _disposed;
    private Task? _disposal;


    public PresenceSessionManager(
        IPresenceProtocol protocol,
        IOptions<PresenceKeepAliveOptions> options,
        TimeProvider timeProvider,
        ILogger<PresenceSessionManager> logger,
        PresenceKeepAliveMetrics metrics,
        RequestGate gate)
        : this(protocol, options?.Value!, timeProvider, logger, metrics, random: null, gate: gate)
    {
    }

    /// <summary>Initializes a manager without dependency injection (tests, benchmarks).</summary>
    /// <param name="protocol">The protocol requests go through.</param>
    /// <param name="options">The options, read once.</param>
    /// <param name="timeProvider">The clock and timer source.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="metrics">The instruments.</param>
    /// <param name="random">The source of refresh and retry jitter; seed it for reproducible runs. Used under a lock.</param>
    /// <param name="maxConcurrency">The bound on sends in flight.</param>
    /// <param name="gate">The app's request gate, shared with the HTTP pipeline; a new one when <see langword="null"/>.</param>
    /// <param name="inlineDispatch">Runs sends on the pumping thread (simulations on a fake clock only; see <see cref="KeepAliveScheduler"/>).</param>
    internal PresenceSessionManager(
        IPresenceProtocol protocol,
        PresenceKeepAliveOptions options,
        TimeProvider timeProvider,
        ILogger logger,
        PresenceKeepAliveMetrics metrics,
        Random? random,
        int? maxConcurrency = null,
        RequestGate? gate = null,
        bool inlineDispatch = false)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(metrics);
        Protocol = protocol;
        Settings = new KeepAliveSettings(options, maxConcurrency);
        _timeProvider = timeProvider;
        Logger = logger;
        Metrics = metrics;
        _random = random ?? new Random();

        // One monotonic clock for the sessions, the scheduler and the budget's refill grid (see KeepAliveClock).
        var budget = gate ?? new RequestGate(Settings.RateLimitPerWindow, Settings.RateLimitWindow, new KeepAliveClock(timeProvider));
        Clock = budget.Clock;
        Scheduler = new KeepAliveScheduler(budget, Settings, metrics, logger, inlineDispatch);
        StartReadBack(options);
    }

    public event EventHandler<PresenceSessionStatusChangedEventArgs>? StatusChanged;

    public int Count => _sessions.Count;

    public IReadOnlyCollection<IPresenceSession> Sessions => _sessions.Values.ToArray();

    /// <summary>
    /// Gets the share of the gate's rate that the kept sessions' minimum load may use before the over-capacity warning
    /// fires. Measured (docs/performance.md): at the defaults the zero-lapse capacity is 99.6% of it (14,941 Available
    /// sessions against 50 a second over 300 s, 14,894 with the urgency rule), so 97% warns 2-3% before the first lapse.
    /// </summary>
    internal const double CapacityUtilization = 0.97;

    /// <summary>Gets the requests per second the kept sessions need at the least (one accepted request per lifetime each), before retries.</summary>
    internal double PlannedRate => Interlocked.Read(ref _demandMicros) / 1e6;

    /// <summary>
    /// Gets the requests per second the kept sessions need, retries included: the planned rate divided by the share of
    /// sends that succeed (each failed send is sent again).
    /// </summary>
    internal double DemandRate => PlannedRate / (1 - Math.Min(Scheduler.FailureRatio, 0.5));

    /// <summary>Gets the rate the over-capacity warning compares <see cref="DemandRate"/> with.</summary>
    internal double CapacityRate => Scheduler.Budget.RatePerSecond * CapacityUtilization;

    /// <summary>Gets how many Available sessions the budget carries before the over-capacity warning, with no failures.</summary>
    internal long CapacitySessions => (long)(CapacityRate * Settings.Lifetime(PresenceState.Available).TotalSeconds);

    /// <summary>Gets a value indicating whether the kept sessions need more than the budget can carry (the over-capacity warning is in force).</summary>
    internal bool OverCapacity => Volatile.Read(ref _overCapacity) != 0;

    /// <summary>Gets the number of sessions being kept alive (set and neither cleared, failed nor disposed).</summary>
    internal long KeptCount => Interlocked.Read(ref _keptCount);

    internal IPresenceProtocol Protocol { get; }

    internal KeepAliveSettings Settings { get; }

    internal ILogger Logger { get; }

    internal PresenceKeepAliveMetrics Metrics { get; }

    internal KeepAliveScheduler Scheduler { get; }




    internal KeepAliveClock Clock { get; }

    /// <summary>Gets the current time in UTC ticks, advanced monotonically: a wall-clock step does not move it.</summary>
    internal long NowTicks => Clock.NowTicks;

    internal TimeProvider TimeProvider => _timeProvider;

    /// <summary>Builds a manager without dependency injection: for tests, benchmarks and samples.</summary>
    internal static PresenceSessionManager Create(
        IPresenceProtocol protocol,
        PresenceKeepAliveOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null,
        PresenceKeepAliveMetrics? metrics = null,
        Random? random = null,
        int? maxConcurrency = null,
        bool inlineDispatch = false) =>
        new(
            protocol,
            options ?? new PresenceKeepAliveOptions(),
            timeProvider ?? TimeProvider.System,
            logger ?? NullLogger.Instance,
            metrics ?? new PresenceKeepAliveMetrics(null),
            random,
            maxConcurrency,
            gate: null,
            inlineDispatch);

    public IPresenceSession GetOrCreate(string userId)
    {
        PresenceRequestValidator.ValidateUserId(userId, nameof(userId));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_sessions.TryGetValue(userId, out var existing))
        {
            return existing;
        }

        var created = new PresenceSession(userId, this);
        var session = _sessions.GetOrAdd(userId, created);
        if (ReferenceEquals(session, created) && Volatile.Read(ref _disposed) != 0)
        {
            // Disposal began while this was added: it may already have passed over the session, so stop it here.
            session.MarkDisposed();
            _sessions.TryRemove(new KeyValuePair<string, PresenceSession>(userId, session));
            throw new ObjectDisposedException(nameof(PresenceSessionManager));
        }

        return session;
    }

    public bool TryGet(string userId, [NotNullWhen(true)] out IPresenceSession? session)
    {
        if (userId is not null && _sessions.TryGetValue(userId, out var found))
        {
            session = found;
            return true;
        }

        session = null;
        return false;
    }

    public async Task<PresenceSignOffResult> SignOffAllAsync(CancellationToken cancellationToken = default)
    {
        var sessions = _sessions.Values.ToArray();
        var outcomes = await Task.WhenAll(Array.ConvertAll(sessions, s => SignOffAsync(s, cancellationToken))).ConfigureAwait(false);
        var signedOff = new List<string>(outcomes.Length);
        var failed = new Dictionary<string, Exception>(StringComparer.OrdinalIgnoreCase);
        foreach (var (userId, error) in outcomes)
        {
            if (error is null)
            {
                signedOff.Add(userId);
            }
            else
            {
                failed[userId] = error;
            }
        }

        Volatile.Write(ref _signedOffAll, 1);
        return new PresenceSignOffResult(signedOff, failed);

        static async Task<(string UserId, Exception? Error)> SignOffAsync(PresenceSession session, CancellationToken cancellationToken)
        {
            try
            {
                // Each clear goes through the scheduler: in parallel, within the budget, ahead of refreshes.
                await session.ClearAsync(cancellationToken, sendOnCallersThread: false).ConfigureAwait(false);
                return (session.UserId, null);
            }
            catch (Exception ex) when (ex is PresenceRequestException or OperationCanceledException or ObjectDisposedException)
            {
                return (session.UserId, ex);
            }
        }
    }

    /// <remarks>Concurrent and repeated calls all wait for the one disposal.</remarks>
    public ValueTask DisposeAsync() => DisposeOnce.Run(ref _disposal, DisposeCoreAsync);

    private async Task DisposeCoreAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var session in _sessions.Values)
        {
            // A state accepted during the sign-off would land after it and never be refreshed.
            session.BeginClosing();
        }

        if (Settings.SignOffOnDispose && Volatile.Read(ref _signedOffAll) == 0)
        {
            // Signed off once already (the hosted service on stop): those it could not sign off are left to their leases,
            // rather than tried again against a service that just failed them.
            // Best effort, bounded: failures are logged per session; leases end the rest on the service.
            using var giveUp = new CancellationTokenSource(Settings.SignOffOnDisposeLimit, _timeProvider);
            var result = await SignOffAllAsync(giveUp.Token).ConfigureAwait(false);
            foreach (var (userId, error) in result.Failed)
            {
                Log.SignOffOnDisposeFailed(Logger, userId, error);
            }
        }

        foreach (var session in _sessions.Values)
        {
            session.MarkDisposed();
        }

        _sessions.Clear();
        await Scheduler.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Stops every session and the scheduler at once, without signing off (a synchronous dispose cannot wait for
    /// Graph). Containers that are disposed synchronously call this; hosts and <c>await using</c> call
    /// <see cref="DisposeAsync"/>, which signs off first when <see cref="PresenceKeepAliveOptions.SignOffOnDispose"/> is set.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var session in _sessions.Values)
        {
            session.MarkDisposed();
        }

        _sessions.Clear();
        Scheduler.Stop();
    }

    /// <summary>
    /// Graph throttles per app and tenant: after a 429 with <c>Retry-After</c>, hold every session's refreshes and
    /// retries until it has passed (at most one session timeout, so a huge or clock-skewed value cannot freeze them).
    /// </summary>
    internal void OnThrottled(TimeSpan retryAfter)
    {
        // (Also reached from inside the HTTP pipeline through ThrottledHandler, while a send waits out a short Retry-After.)
        if (retryAfter <= TimeSpan.Zero)
        {
            return;
        }

        var cap = SessionTiming.RetryAfterCap(Settings);
        var hold = retryAfter < cap ? retryAfter : cap;
        Scheduler.HoldUntil(NowTicks + hold.Ticks);
    }

    internal void Remove(PresenceSession session) =>
        _sessions.TryRemove(new KeyValuePair<string, PresenceSession>(session.UserId, session));

    internal void OnStatusChanged(PresenceSession session, PresenceSessionStatusChangedEventArgs e)
    {
        try
        {
            StatusChanged?.Invoke(session, e);
        }
        catch (Exception ex)
        {
            Log.StatusChangedHandlerFailed(Logger, session.UserId, ex);
        }
    }

    internal void OnKeptChanged(int keptDelta, int demandDelta)
    {
        var kept = keptDelta == 0 ? Interlocked.Read(ref _keptCount) : Interlocked.Add(ref _keptCount, keptDelta);
        if (demandDelta != 0)
        {
            Interlocked.Add(ref _demandMicros, demandDelta);
        }

        try
        {
            if (keptDelta > 0)
            {
                Metrics.SessionActivated();
            }
            else if (keptDelta < 0)
            {
                Metrics.SessionDeactivated();
            }
        }
        catch (Exception)
        {
            // A throwing meter listener must not stop the engine.
        }

        CheckCapacity(kept);
    }

    /// <summary>
    /// Warns (event 109, counter <c>rate_budget.over_capacity</c>) when the kept sessions need more requests per second
    /// than the budget can carry: refreshes at their deadlines (each session's refresh period from its state), plus
    /// the retries the recent failure ratio implies, against <see cref="CapacityUtilization"/> of the gate's rate.
    /// Checked as sessions start, change state or stop, and after failures.
    /// </summary>
    internal void CheckCapacity(long kept = -1)
    {
        if (kept < 0)
        {
            kept = Interlocked.Read(ref _keptCount);
        }

        if (Scheduler.Budget.LimitPerWindow == 0)
        {
            // A closed gate (distributed mode: a silo warming up or fenced) is a pause, not a lack of capacity.
            return;
        }

        var demand = DemandRate;
        var capacity = CapacityRate;
        try
        {
            if (demand > capacity)
            {
                if (Interlocked.Exchange(ref _overCapacity, 1) == 0)
                {
                    // Said as the session that does not fit starts (or as failures grow), before any lapses.
                    var fits = (long)(kept * capacity / demand);
                    Log.OverCapacity(Logger, kept, demand, Scheduler.FailureRatio, Scheduler.Budget.LimitPerWindow, Scheduler.Budget.Window, fits, (int)Math.Ceiling(demand / capacity) - 1);
                    Metrics.OverCapacity();
                }
            }
            else if (demand <= capacity * 0.9 && Interlocked.Exchange(ref _overCapacity, 0) == 1)
            {
                Log.BackWithinCapacity(Logger, kept, (long)(kept * capacity / Math.Max(demand, 1e-9)));
            }
        }
        catch (Exception)
        {
            // A failing log provider or meter listener must not stop the engine.
        }
    }

    /// <summary>
    /// Returns the next phase in [0, 1) of a low-discrepancy (golden ratio) sequence: however many are drawn, they are
    /// spread evenly, unlike random values. Lock-free.
    /// </summary>
    internal double NextPhase()
    {
        const double Golden = 0.6180339887498949;
        var n = Interlocked.Increment(ref _phaseIndex);
        var x = n * Golden;
        return x - Math.Floor(x);
    }

    /// <summary>Returns a random value in [0, 1].</summary>
    internal double NextJitterFraction()
    {
        lock (_random)
        {
            return _random.NextDouble();
        }
    }
}
