using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>
/// What others see (read-back): the last reading, and a <see cref="PresenceMismatch"/> once the reading has differed from
/// the confirmed desired state for longer than the grace period, with the reason inferred by <see cref="InferReason"/>.
/// </summary>
internal sealed partial class PresenceSession
{
    private SeenPresence? _seen;
    private PresenceMismatch? _mismatch;
    private PresenceState? _differsFrom;
    private long _differsSinceTicks;
    private EventHandler<PresenceMismatchChangedEventArgs>? _mismatchChanged;

    public event EventHandler<PresenceMismatchChangedEventArgs>? MismatchChanged
    {
        add
        {
            lock (Lock)
            {
                _mismatchChanged += value;
            }
        }

        remove
        {
            lock (Lock)
            {
                _mismatchChanged -= value;
            }
        }
    }

    public SeenPresence? SeenPresence
    {
        get
        {
            lock (Lock)
            {
                return _seen;
            }
        }
    }

    public PresenceMismatch? Mismatch
    {
        get
        {
            lock (Lock)
            {
                return _mismatch;
            }
        }
    }

    /// <summary>Gets a value indicating whether read-back should read this user: a confirmed state to compare, or a mismatch to clear.</summary>
    internal bool WantsReadBack
    {
        get
        {
            lock (Lock)
            {
                return !GraphPresenceProtocolIsMe(UserId) && (_mismatch is not null || (_state.DesiredState is not null && !_state.Disposed && _state.Confirmed is not null));
            }
        }
    }

    /// <summary>Takes one reading of what others see, at <paramref name="nowTicks"/>, and reports a difference that lasted past <paramref name="grace"/>.</summary>
    internal void OnReadBack(SeenPresence seen, long nowTicks, TimeSpan grace, ReadBackMetrics? metrics)
    {
        PresenceMismatch? before;
        PresenceMismatch? after;
        EventHandler<PresenceMismatchChangedEventArgs>? handlers;
        lock (Lock)
        {
            _seen = seen;
            before = _mismatch;
            var desired = _state.DesiredState;
            var comparable = desired is not null && !_state.Disposed && _state.Confirmed == desired;
            if (!comparable || seen.Shows(desired!))
            {
                _differsFrom = null;
                _mismatch = null;
            }
            else
            {
                if (_differsFrom != desired)
                {
                    _differsFrom = desired;
                    _differsSinceTicks = nowTicks;
                }

                if (nowTicks - _differsSinceTicks >= grace.Ticks)
                {
                    var reason = InferReason(seen, desired!, _state.Status);
                    var since = before is not null && before.Desired == desired && before.Reason == reason
                        ? before.Since
                        : KeepAliveClock.ToDateTimeOffset(_differsSinceTicks);
                    _mismatch = new PresenceMismatch(desired!, seen, reason, since);
                }
            }

            after = _mismatch;
            handlers = _mismatchChanged;
        }

        var changed = (before is null) != (after is null) ||
                      (before is not null && after is not null && (before.Reason != after.Reason || before.Desired != after.Desired));
        if (!changed)
        {
            return;
        }

        var logger = _manager.Logger;
        try
        {
            if (after is not null)
            {
                metrics?.Mismatch(after.Reason);
                Log.PresenceMasked(logger, UserId, after.Seen.ToString(), after.Desired, TimeSpan.FromTicks(nowTicks - after.Since.UtcTicks), after.Reason);
            }
            else
            {
                Log.PresenceUnmasked(logger, UserId, before!.Desired);
            }
        }
        catch (Exception)
        {
            // A failing log provider or meter listener must not stop read-back.
        }

        try
        {
            handlers?.Invoke(this, new PresenceMismatchChangedEventArgs(UserId, after, before));
        }
        catch (Exception ex)
        {
            Safe(static (s, x) => Log.MismatchHandlerFailed(s._manager.Logger, s.UserId, x), this, ex);
        }
    }

    /// <summary>
    /// Why others see <paramref name="seen"/> instead of <paramref name="desired"/>, from Graph's aggregation rules: a user's
    /// preferred presence beats every session; among sessions DoNotDisturb &gt; Busy &gt; Available &gt; Away; Offline means
    /// no session is left.
    /// </summary>
    internal static PresenceMaskReason InferReason(SeenPresence seen, PresenceState desired, PresenceSessionStatus status)
    {
        var isPreferredPair = PreferredPresence.TryParse(seen.Availability, seen.Activity, out _);
        var isSessionPair = PresenceState.TryParse(seen.Availability, seen.Activity, out var seenState) && seenState != PresenceState.Offline;
        if (string.Equals(seen.Availability, "Offline", StringComparison.OrdinalIgnoreCase))
        {
            // Offline/OffWork is "Appear offline"; Offline/Offline is what is left when no session is.
            return isPreferredPair ? PresenceMaskReason.UserPreferredPresence : PresenceMaskReason.SessionEnded;
        }

        if (isPreferredPair && !isSessionPair)
        {
            // Busy/Busy, DoNotDisturb/DoNotDisturb, BeRightBack/BeRightBack: no application session can set these.
            return PresenceMaskReason.UserPreferredPresence;
        }

        if (status is PresenceSessionStatus.Lapsed or PresenceSessionStatus.Failed)
        {
            // A fade (Available/AvailableInactive, Away) or a lower state while this session is not being kept.
            return PresenceMaskReason.SessionEnded;
        }

        var seenRank = Rank(seen.Availability);
        var desiredRank = Rank(desired.Availability);
        if (seenRank < desiredRank)
        {
            // A lower state beats this session only as a preferred presence.
            return isPreferredPair ? PresenceMaskReason.UserPreferredPresence : PresenceMaskReason.Unknown;
        }

        return isSessionPair ? PresenceMaskReason.AnotherSessionRanksHigher : PresenceMaskReason.Unknown;
    }

    private static int Rank(string availability) => availability switch
    {
        _ when availability.Equals("DoNotDisturb", StringComparison.OrdinalIgnoreCase) => 5,
        _ when availability.Equals("Busy", StringComparison.OrdinalIgnoreCase) => 4,
        _ when availability.Equals("Available", StringComparison.OrdinalIgnoreCase) => 3,
        _ when availability.Equals("BeRightBack", StringComparison.OrdinalIgnoreCase) => 2,
        _ when availability.Equals("Away", StringComparison.OrdinalIgnoreCase) => 1,
        _ => 0,
    };

    private static bool GraphPresenceProtocolIsMe(string userId) => PresenceKeepAlive.Protocol.Internal.GraphPresenceProtocol.IsMe(userId);
}
