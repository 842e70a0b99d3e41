namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>
/// Spare capacity for work the sessions do not need (read-back): a place is granted only while no state change, refresh or
/// retry is waiting, fewer than the concurrency bound are in flight, and the gate keeps headroom after it, so such work
/// never takes a place a session needs now or in the next moment.
/// </summary>
internal sealed partial class KeepAliveScheduler
{
    /// <summary>
    /// Reserves a gate place for optional work if the engine does not need it: nothing ready waits (state changes, refreshes,
    /// retries), no throttling hold or fleet backoff is in force, and after it at least <paramref name="share"/> of the
    /// window (and of the current second's pacing) stays free.
    /// </summary>
    /// <param name="share">The share of the budget that must stay free after the place is taken, from 0 to 1.</param>
    /// <returns><see langword="true"/> with a reservation the caller must use (its first attempt) or give back (<see cref="RequestGate.Release"/>).</returns>
    public bool TryReserveSpare(double share)
    {
        lock (_gate)
        {
            var now = NowTicks;
            if (_stopped || _backingOff || now < _heldUntilTicks || _inFlight >= MaxConcurrency || HasWaitingWorkLocked(now))
            {
                return false;
            }

            var windowHeadroom = (int)Math.Ceiling(_budget.LimitPerWindow * share);
            var secondHeadroom = (int)Math.Ceiling(_budget.RatePerSecond * RequestGate.SmoothingWindow.TotalSeconds * share);
            return _budget.TryReserveSpare(windowHeadroom, secondHeadroom);
        }
    }

    /// <summary>Whether a live item is ready to go or is due (it would go next pump).</summary>
    private bool HasWaitingWorkLocked(long now)
    {
        while (_changes.TryPeek(out var change, out _))
        {
            if (change.Target.ScheduleToken == change.Token)
            {
                return true;
            }

            _changes.Dequeue();
        }

        while (_ready.TryPeek(out var keep, out _))
        {
            if (keep.Target.ScheduleToken == keep.Token)
            {
                return true;
            }

            _ready.Dequeue();
        }

        // Due but not yet moved to a ready queue (the timer has not fired yet): it is waiting too.
        while (_timed.TryPeek(out var due, out var dueTicks) && dueTicks <= now)
        {
            if (due.Target.ScheduleToken == due.Token)
            {
                return true;
            }

            _timed.Dequeue();
        }

        return false;
    }
}
