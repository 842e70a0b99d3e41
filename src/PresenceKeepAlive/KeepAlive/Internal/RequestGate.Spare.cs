namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>Spare places: what work the engine does not need (read-back) may take, and only then.</summary>
internal sealed partial class RequestGate
{
    /// <summary>
    /// Reserves a place only if, with it taken, at least <paramref name="windowHeadroom"/> places stay free in the window
    /// and <paramref name="secondHeadroom"/> in the current second (the pacing log): a refresh or state change that falls
    /// due right after still finds a place at once.
    /// </summary>
    /// <remarks>
    /// A gate under a parent (the app's cap across tenants) also reserves a place there, as <see cref="TryReserve()"/>
    /// does: <see cref="Release"/> and <see cref="TryEnter"/> give back or take the parent's place with this one.
    /// </remarks>
    /// <returns><see langword="false"/> when there is no such slack now: nothing was reserved.</returns>
    public bool TryReserveSpare(int windowHeadroom, int secondHeadroom)
    {
        lock (_lock)
        {
            var now = Clock.NowTicks;
            if (!_window.HasRoom(now, _reserved + Math.Max(0, windowHeadroom)) ||
                (_smoothing is not null && !_smoothing.HasRoom(now, _reserved + Math.Max(0, secondHeadroom))) ||
                (_parent is not null && !_parent.TryReserve(now)))
            {
                return false;
            }

            _reserved++;
            return true;
        }
    }
}
