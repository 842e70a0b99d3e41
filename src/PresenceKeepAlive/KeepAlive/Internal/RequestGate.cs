namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>
/// The one gate every HTTP attempt of one application registration in one tenant passes before it leaves the process:
/// no closed window of <see cref="Window"/> ever holds more than <see cref="LimitPerWindow"/> attempts, whatever the
/// service answers and however often anything retries. Shared by the scheduler (which reserves a place for the first
/// attempt of each send it dispatches) and the HTTP pipeline (which takes the place as the attempt leaves, and a new
/// one for every retry). Thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// A sliding log of the instants attempts left, on the engine's monotonic <see cref="KeepAliveClock"/>: an attempt may
/// leave at <c>t</c> only if fewer than <c>limit</c> attempts left in <c>[t - window, t]</c>, counting places reserved
/// but not yet taken. That is exact (the full 50 requests a second of 1,500 per 30 s, where a token bucket on a refill
/// grid must stay well under it to bound every window) and costs 8 bytes a place (12 KB for 1,500).
/// </para>
/// <para>
/// A reservation holds a place from the moment the scheduler dispatches a send until its first attempt leaves (token
/// acquisition and serialization happen in between), so the log records leave instants, not dispatch instants. Since a
/// new place is granted only while <c>logged + reserved &lt; limit</c>, a reservation taken later always still fits.
/// </para>
/// </remarks>
internal sealed partial class RequestGate
{
    private readonly object _lock = new();
    private readonly SlidingLog _window;
    private readonly SlidingLog? _smoothing;
    private readonly RequestGate? _parent;
    private int _reserved;
    private long _entered;

    /// <summary>Initializes a gate for <paramref name="limitPerWindow"/> attempts per <paramref name="window"/>.</summary>
    /// <param name="limitPerWindow">The most attempts in any closed window; odd values fall back to Graph's 1,500.</param>
    /// <param name="window">The window; odd values fall back to Graph's 30 seconds.</param>
    /// <param name="clock">The engine's clock, shared with the scheduler.</param>
    /// <param name="parent">
    /// A wider budget every attempt must also pass (the app's global cap across all its tenants), on the same clock; or
    /// <see langword="null"/>. Places are reserved and taken in both, this gate's lock first.
    /// </param>
    public RequestGate(int limitPerWindow, TimeSpan window, KeepAliveClock clock, RequestGate? parent = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _parent = parent;
        if (limitPerWindow <= 0 || window <= TimeSpan.Zero)
        {
            // Odd values must not crash the engine (options are validated at start-up elsewhere).
            limitPerWindow = 1500;
            window = TimeSpan.FromSeconds(30);
        }

        ConfiguredLimitPerWindow = limitPerWindow;
        Window = window;
        Clock = clock;
        _window = new SlidingLog(limitPerWindow, window.Ticks);

        // Requests are paced at the average rate in every second as well (50 a second for 1,500 per 30 s): a start of
        // thousands of sessions goes out evenly spread, and so do their refreshes (planned from their acceptance), instead
        // of in clumps of a whole window's worth. Measured (docs/performance.md): with bursts of twice the rate allowed the
        // clumps make refreshes queue near capacity (worst gap 287 s at 13,637 sessions); paced, there is no queueing up to
        // 99% of the rate (275 s). It never lowers the sustained rate; a burst of more than 50 takes a second per 50.
        // Small budgets (tests, emulators) are left alone: under 5 requests a second there is nothing to smooth.
        if (window > SmoothingWindow && limitPerWindow / window.TotalSeconds >= 5)
        {
            var perSecond = (int)Math.Ceiling((double)limitPerWindow * SmoothingWindow.Ticks / window.Ticks);
            if (perSecond < limitPerWindow)
            {
                _smoothing = new SlidingLog(Math.Max(1, perSecond), SmoothingWindow.Ticks);
            }
        }
    }

    /// <summary>Gets the window over which bursts are smoothed.</summary>
    public static TimeSpan SmoothingWindow { get; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets the most attempts in any closed window now: the configured limit, or this process's share of it in a cluster
    /// (<see cref="SetLimit"/>).
    /// </summary>
    public int LimitPerWindow => Volatile.Read(ref _window.Limit);

    /// <summary>Gets the limit the gate was created with: the whole budget of the app registration and tenant.</summary>
    public int ConfiguredLimitPerWindow { get; }

    /// <summary>Gets the window of <see cref="LimitPerWindow"/>.</summary>
    public TimeSpan Window { get; }

    /// <summary>Gets the engine's clock.</summary>
    public KeepAliveClock Clock { get; }

    /// <summary>Gets the sustained rate the gate allows, in attempts per second.</summary>
    public double RatePerSecond => LimitPerWindow / Window.TotalSeconds;

    /// <summary>Gets the wider budget every attempt also passes, or <see langword="null"/>.</summary>
    public RequestGate? Parent => _parent;

    /// <summary>Gets how many attempts have passed the gate since it was created.</summary>
    public long Entered => Interlocked.Read(ref _entered);

    /// <summary>Gets the places free now in the main window (neither logged nor reserved).</summary>
    public int Available
    {
        get
        {
            lock (_lock)
            {
                var now = Clock.NowTicks;
                _window.Trim(now);
                return Math.Max(0, _window.Limit - _window.Count - _reserved);
            }
        }
    }

    /// <summary>Reserves a place for the first attempt of a send about to be dispatched.</summary>
    /// <returns><see langword="false"/> when the window is full: nothing was reserved.</returns>
    public bool TryReserve() => TryReserve(Clock.NowTicks);

    /// <summary>Reserves a place, like <see cref="TryReserve()"/>, at <paramref name="nowTicks"/> (engine time the caller has just read).</summary>
    /// <param name="nowTicks">The current engine time.</param>
    /// <returns><see langword="false"/> when the window is full: nothing was reserved.</returns>
    public bool TryReserve(long nowTicks)
    {
        lock (_lock)
        {
            if (!HasRoomLocked(nowTicks) || (_parent is not null && !_parent.TryReserve(nowTicks)))
            {
                return false;
            }

            _reserved++;
            return true;
        }
    }

    /// <summary>Gives back a reservation whose attempt never left (the send failed before it, or was cancelled).</summary>
    public void Release()
    {
        lock (_lock)
        {
            if (_reserved > 0)
            {
                _reserved--;
                _parent?.Release();
            }
        }
    }

    /// <summary>
    /// Lets one attempt leave now: takes a reservation made by <see cref="TryReserve()"/> (<paramref name="reserved"/>),
    /// or a free place.
    /// </summary>
    /// <returns><see langword="false"/> when the attempt must not be sent: the window is full.</returns>
    public bool TryEnter(bool reserved)
    {
        lock (_lock)
        {
            var now = Clock.NowTicks;
            if (reserved && _reserved > 0)
            {
                if (!ReservationFitsLocked(now))
                {
                    // The limit was lowered (SetLimit) after the place was reserved: the reservation no longer fits. Give it
                    // back; the send fails as not sent, and is retried when there is room.
                    _reserved--;
                    _parent?.Release();
                    return false;
                }

                // A place was held for it since it was reserved: it fits (see the remarks), in the parent too, unless the
                // parent's limit was lowered since (the parent then gave its reservation back).
                _reserved--;
                if (_parent is not null && !_parent.TryEnter(reserved: true))
                {
                    return false;
                }
            }
            else if (!HasRoomLocked(now) || (_parent is not null && !_parent.TryEnter(reserved: false)))
            {
                return false;
            }

            _window.Append(now);
            _smoothing?.Append(now);
            _entered++;
            return true;
        }
    }

    /// <summary>
    /// Changes the most attempts in any closed window to <paramref name="limit"/> (clamped to between 0 and
    /// <see cref="ConfiguredLimitPerWindow"/>), at once: distributed mode gives each process its share of the budget. A lower
    /// limit lets no attempt leave until the window's log is under it, so no window holds more than the largest limit in
    /// force during it; 0 stops every attempt. The per-second pacing follows the same share. After raising it, pump the
    /// schedulers that use the gate: one waiting for a place may be sleeping until a reservation is released.
    /// </summary>
    /// <param name="limit">The new limit.</param>
    public void SetLimit(int limit)
    {
        limit = Math.Clamp(limit, 0, ConfiguredLimitPerWindow);
        lock (_lock)
        {
            Volatile.Write(ref _window.Limit, limit);
            if (_smoothing is not null)
            {
                _smoothing.Limit = limit == 0 ? 0 : Math.Min(_smoothing.Capacity, Math.Max(1, (int)Math.Ceiling((double)limit * SmoothingWindow.Ticks / Window.Ticks)));
            }
        }
    }

    /// <summary>
    /// Returns when a place is next free: <paramref name="nowTicks"/> if one is free now, the instant the oldest logged
    /// attempt leaves a full window otherwise, or <see cref="long.MaxValue"/> when every place is reserved (one frees when
    /// a reserved attempt leaves or is released; the scheduler re-pumps then).
    /// </summary>
    public long NextFreeTicks(long nowTicks)
    {
        lock (_lock)
        {
            var next = _window.NextFreeTicks(nowTicks, _reserved);
            next = _smoothing is null ? next : Math.Max(next, _smoothing.NextFreeTicks(nowTicks, _reserved));
            return _parent is null ? next : Math.Max(next, _parent.NextFreeTicks(nowTicks));
        }
    }

    // Reservations were granted while logged + reserved < limit, so logged + reserved <= limit holds unless the limit was lowered since.
    private bool ReservationFitsLocked(long now)
    {
        _window.Trim(now);
        _smoothing?.Trim(now);
        return _window.Count + _reserved <= _window.Limit && (_smoothing is null || _smoothing.Count + _reserved <= _smoothing.Limit);
    }

    private bool HasRoomLocked(long now) =>
        _window.HasRoom(now, _reserved) && (_smoothing is null || _smoothing.HasRoom(now, _reserved));

    /// <summary>The instants attempts left, oldest first, within one window, and the most the window may hold now.</summary>
    private sealed class SlidingLog(int capacity, long windowTicks)
    {
        private readonly long[] _log = new long[capacity];
        private int _head;

        /// <summary>The most attempts the window may hold now, at most <see cref="Capacity"/> (lowered in a cluster).</summary>
        public int Limit = capacity;

        public int Capacity => _log.Length;

        public int Count { get; private set; }

        public bool HasRoom(long now, int reserved)
        {
            Trim(now);
            return Count + reserved < Limit;
        }

        public void Append(long now)
        {
            Trim(now);
            if (Count == _log.Length)
            {
                // Never reached: the reservation rule keeps logged + reserved within the limit. Guarded so that a bug
                // cannot overrun the ring.
                _head = _head + 1 == _log.Length ? 0 : _head + 1;
                Count--;
            }

            var tail = _head + Count;
            _log[tail >= _log.Length ? tail - _log.Length : tail] = now;
            Count++;
        }

        public long NextFreeTicks(long now, int reserved)
        {
            Trim(now);
            if (Count + reserved < Limit)
            {
                return now;
            }

            // Room comes when enough of the oldest entries have left: the window is closed at both ends, so an entry still
            // counts at exactly its time + window. With every place reserved, only a release or a send frees one.
            var mustLeave = Count + reserved - Limit + 1;
            if (mustLeave > Count)
            {
                return long.MaxValue;
            }

            var index = _head + mustLeave - 1;
            return _log[index >= _log.Length ? index - _log.Length : index] + windowTicks + 1;
        }

        public void Trim(long now)
        {
            var oldest = now - windowTicks;
            while (Count > 0 && _log[_head] < oldest)
            {
                _head = _head + 1 == _log.Length ? 0 : _head + 1;
                Count--;
            }
        }
    }
}
