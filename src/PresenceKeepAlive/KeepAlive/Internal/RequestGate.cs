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
internal sealed class RequestGate
{
    private readonly object _lock = new();
    private readonly long[] _log;
    private readonly long _windowTicks;
    private int _head;
    private int _count;
    private int _reserved;
    private long _entered;

    /// <summary>Initializes a gate for <paramref name="limitPerWindow"/> attempts per <paramref name="window"/>.</summary>
    /// <param name="limitPerWindow">The most attempts in any closed window; odd values fall back to Graph's 1,500.</param>
    /// <param name="window">The window; odd values fall back to Graph's 30 seconds.</param>
    /// <param name="clock">The engine's clock, shared with the scheduler.</param>
    public RequestGate(int limitPerWindow, TimeSpan window, KeepAliveClock clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        if (limitPerWindow <= 0 || window <= TimeSpan.Zero)
        {
            // Odd values must not crash the engine (options are validated at start-up elsewhere).
            limitPerWindow = 1500;
            window = TimeSpan.FromSeconds(30);
        }

        LimitPerWindow = limitPerWindow;
        Window = window;
        Clock = clock;
        _windowTicks = window.Ticks;
        _log = new long[limitPerWindow];
    }

    /// <summary>Gets the most attempts in any closed window.</summary>
    public int LimitPerWindow { get; }

    /// <summary>Gets the window of <see cref="LimitPerWindow"/>.</summary>
    public TimeSpan Window { get; }

    /// <summary>Gets the engine's clock.</summary>
    public KeepAliveClock Clock { get; }

    /// <summary>Gets the sustained rate the gate allows, in attempts per second.</summary>
    public double RatePerSecond => LimitPerWindow / Window.TotalSeconds;

    /// <summary>Gets how many attempts have passed the gate since it was created.</summary>
    public long Entered => Interlocked.Read(ref _entered);

    /// <summary>Gets the places free now (neither logged in the current window nor reserved).</summary>
    public int Available
    {
        get
        {
            lock (_lock)
            {
                Trim(Clock.NowTicks);
                return LimitPerWindow - _count - _reserved;
            }
        }
    }

    /// <summary>Reserves a place for the first attempt of a send about to be dispatched.</summary>
    /// <returns><see langword="false"/> when the window is full: nothing was reserved.</returns>
    public bool TryReserve()
    {
        lock (_lock)
        {
            Trim(Clock.NowTicks);
            if (_count + _reserved >= LimitPerWindow)
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
            }
        }
    }

    /// <summary>
    /// Lets one attempt leave now: takes a reservation made by <see cref="TryReserve"/> (<paramref name="reserved"/>),
    /// or a free place.
    /// </summary>
    /// <returns><see langword="false"/> when the attempt must not be sent: the window is full.</returns>
    public bool TryEnter(bool reserved)
    {
        lock (_lock)
        {
            var now = Clock.NowTicks;
            Trim(now);
            if (reserved && _reserved > 0)
            {
                _reserved--;
            }
            else if (_count + _reserved >= LimitPerWindow)
            {
                return false;
            }

            var tail = _head + _count;
            _log[tail >= _log.Length ? tail - _log.Length : tail] = now;
            _count++;
            _entered++;
            return true;
        }
    }

    /// <summary>
    /// Returns when a place is next free: <paramref name="nowTicks"/> if one is free now, the instant the oldest logged
    /// attempt leaves the window otherwise, or <see cref="long.MaxValue"/> when every place is reserved (one frees when
    /// a reserved attempt leaves or is released; the scheduler re-pumps then).
    /// </summary>
    public long NextFreeTicks(long nowTicks)
    {
        lock (_lock)
        {
            Trim(nowTicks);
            if (_count + _reserved < LimitPerWindow)
            {
                return nowTicks;
            }

            // The window is closed at both ends: the oldest entry still counts at exactly its time + window.
            return _count == 0 ? long.MaxValue : _log[_head] + _windowTicks + 1;
        }
    }

    private void Trim(long nowTicks)
    {
        var oldest = nowTicks - _windowTicks;
        while (_count > 0 && _log[_head] < oldest)
        {
            _head = _head + 1 == _log.Length ? 0 : _head + 1;
            _count--;
        }
    }
}
