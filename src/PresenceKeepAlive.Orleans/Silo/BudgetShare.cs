namespace PresenceKeepAlive.Orleans.Silo;

/// <summary>
/// The split of each app's budget between the silos of a cluster, by membership: each silo may send
/// <c>floor(B / k)</c> of a budget of <c>B</c> per window, with <c>k</c> the silos that may still be sending (every silo in
/// the membership view that is not dead). Pure: the inputs are membership views, successful membership reads and the time;
/// the output is the divisor in force (0: send nothing). See docs/distributed.md for the proof that no closed window of the
/// cluster holds more than <c>B</c> attempts.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>Shrink at once: a view with more silos lowers the share when it is seen.</item>
/// <item>Grow late: a view with fewer silos raises the share only <see cref="GrowDelay"/> (window + fence time + 1 s) after it
/// was seen, when whatever the departed silos sent has left every window, and a departed silo still running (cut off,
/// declared dead) has fenced itself.</item>
/// <item>A joiner starts at 0 and takes its share <see cref="GrowDelay"/> after it started: by then every other silo has seen
/// it (or fenced itself) and shrunk, and their larger shares have left the window.</item>
/// <item>Self-fencing: a silo that has not read the membership table for the fence time, or sees itself dead, sends nothing
/// until its next successful read.</item>
/// </list>
/// Not thread-safe: one agent per silo drives it.
/// </remarks>
internal sealed class BudgetShare
{
    private readonly long _growDelayTicks;
    private readonly long _fenceAfterTicks;
    private readonly long _warmUntilTicks;
    private int _divisor;
    private int _pendingDivisor;
    private long _pendingAtTicks;
    private long _lastReadTicks;
    private bool _selfDead;

    /// <param name="window">The budget's window (Graph: 30 s).</param>
    /// <param name="fenceAfter">How long without a membership read before this silo stops sending.</param>
    /// <param name="startedTicks">When this silo started (its share starts at 0 until <see cref="GrowDelay"/> after it).</param>
    public BudgetShare(TimeSpan window, TimeSpan fenceAfter, long startedTicks)
    {
        GrowDelay = window + fenceAfter + TimeSpan.FromSeconds(1);
        _growDelayTicks = GrowDelay.Ticks;
        _fenceAfterTicks = fenceAfter.Ticks;
        _warmUntilTicks = startedTicks + _growDelayTicks;
        _lastReadTicks = startedTicks;
        _divisor = 1;
    }

    /// <summary>Gets how long a larger share waits after the view that allows it: the window, the fence time and 1 s.</summary>
    public TimeSpan GrowDelay { get; }

    /// <summary>Gets the silos the budget is split between now (the divisor in force, before fencing and warm-up).</summary>
    public int Divisor => _divisor;

    /// <summary>Gets when a pending larger share takes effect, or <see langword="null"/>.</summary>
    public long? PendingAtTicks => _pendingDivisor > 0 ? _pendingAtTicks : null;

    /// <summary>Takes a membership view seen at <paramref name="nowTicks"/>: <paramref name="senders"/> silos may be sending (not dead), this one among them unless <paramref name="selfDead"/>.</summary>
    public void OnView(int senders, bool selfDead, long nowTicks)
    {
        _selfDead = selfDead;
        senders = Math.Max(1, senders);
        if (senders > _divisor)
        {
            // More silos: shrink at once, and forget any pending grow (it counted fewer).
            _divisor = senders;
            _pendingDivisor = 0;
        }
        else if (senders < _divisor)
        {
            if (_pendingDivisor == 0 || senders < _pendingDivisor)
            {
                // Fewer silos: grow only after whatever the departed sent has left the window. A further departure restarts the wait.
                _pendingAtTicks = nowTicks + _growDelayTicks;
            }

            _pendingDivisor = senders;
        }
        else
        {
            _pendingDivisor = 0;
        }
    }

    /// <summary>Records a successful read of the membership table at <paramref name="nowTicks"/>.</summary>
    public void OnRead(long nowTicks) => _lastReadTicks = Math.Max(_lastReadTicks, nowTicks);

    /// <summary>Returns the divisor in force at <paramref name="nowTicks"/>, applying a pending grow that is due; 0 when this silo must send nothing.</summary>
    public int DivisorAt(long nowTicks)
    {
        if (_pendingDivisor > 0 && nowTicks >= _pendingAtTicks)
        {
            _divisor = _pendingDivisor;
            _pendingDivisor = 0;
        }

        if (_selfDead || nowTicks < _warmUntilTicks || nowTicks - _lastReadTicks > _fenceAfterTicks)
        {
            return 0;
        }

        return _divisor;
    }

    /// <summary>Returns this silo's limit of a budget of <paramref name="limit"/> per window under <paramref name="divisor"/>.</summary>
    public static int Share(int limit, int divisor) => divisor <= 0 ? 0 : limit / divisor;
}
