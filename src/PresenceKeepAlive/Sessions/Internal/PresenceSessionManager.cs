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
/// <see cref="RateBudget"/>.
/// </summary>
internal sealed class PresenceSessionManager : IPresenceSessionManager, IDisposable
{
    private readonly ConcurrentDictionary<string, PresenceSession> _sessions = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _timeProvider;
    private readonly Random _random;
    private readonly long _capacitySessions;
    private long _keptCount;
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
    internal PresenceSessionManager(
        IPresenceProtocol protocol,
        PresenceKeepAliveOptions options,
        TimeProvider timeProvider,
        ILogger logger,
        PresenceKeepAliveMetrics metrics,
        Random? random,
        int maxConcurrency = KeepAliveScheduler.DefaultMaxConcurrency,
        RequestGate? gate = null)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(metrics);
        Protocol = protocol;
        Settings = new KeepAliveSettings(options);
        _timeProvider = timeProvider;
        Logger = logger;
        Metrics = metrics;
        _random = random ?? new Random();

        // One monotonic clock for the sessions, the scheduler and the budget's refill grid (see KeepAliveClock).
        var budget = gate ?? new RequestGate(Settings.RateLimitPerWindow, Settings.RateLimitWindow, new KeepAliveClock(timeProvider));
        Clock = budget.Clock;
        Scheduler = new KeepAliveScheduler(Clock, budget, metrics, logger, maxConcurrency);
        _capacitySessions = (long)(budget.RatePerSecond * Settings.MeanRefreshInterval.TotalSeconds);
    }

    public event EventHandler<PresenceSessionStatusChangedEventArgs>? StatusChanged;

    public int Count => _sessions.Count;

    public IReadOnlyCollection<IPresenceSession> Sessions => _sessions.Values.ToArray();

    /// <summary>Gets how many sessions the rate budget can keep alive at the configured refresh interval.</summary>
    internal long CapacitySessions => _capacitySessions;

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
        int maxConcurrency = KeepAliveScheduler.DefaultMaxConcurrency) =>
        new(
            protocol,
            options ?? new PresenceKeepAliveOptions(),
            timeProvider ?? TimeProvider.System,
            logger ?? NullLogger.Instance,
            metrics ?? new PresenceKeepAliveMetrics(null),
            random,
            maxConcurrency);

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

        return new PresenceSignOffResult(signedOff, failed);

        static async Task<(string UserId, Exception? Error)> SignOffAsync(PresenceSession session, CancellationToken cancellationToken)
        {
            try
            {
                // Each clear goes through the scheduler: in parallel, within the budget, ahead of refreshes.
                await session.ClearAsync(cancellationToken).ConfigureAwait(false);
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

        if (Settings.SignOffOnDispose)
        {
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

        var hold = retryAfter < Settings.SessionTimeout ? retryAfter : Settings.SessionTimeout;
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

    internal void OnKeptChanged(int delta)
    {
        var kept = Interlocked.Add(ref _keptCount, delta);
        if (delta > 0)
        {
            Metrics.SessionActivated();
        }
        else
        {
            Metrics.SessionDeactivated();
        }

        if (kept > _capacitySessions)
        {
            if (Interlocked.Exchange(ref _overCapacity, 1) == 0)
            {
                // Said as soon as the session that does not fit is started, not when the first one lapses.
                Log.OverCapacity(Logger, kept, Scheduler.Budget.LimitPerWindow, Scheduler.Budget.Window, Settings.RefreshInterval, _capacitySessions);
                Metrics.OverCapacity();
            }
        }
        else if (kept <= _capacitySessions * 9 / 10 && Interlocked.Exchange(ref _overCapacity, 0) == 1)
        {
            Log.BackWithinCapacity(Logger, kept, _capacitySessions);
        }
    }

    /// <summary>Returns the delay until the next refresh: the interval minus a random jitter in [0, RefreshJitter].</summary>
    internal long NextRefreshDelayTicks()
    {
        return Settings.RefreshInterval.Ticks;
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
