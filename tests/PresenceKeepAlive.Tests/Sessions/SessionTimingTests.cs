using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Tests.Sessions;

public class SessionTimingTests
{
    private static readonly long Accepted = new DateTimeOffset(2026, 1, 5, 8, 0, 0, TimeSpan.Zero).UtcTicks;

    [Test]
    public void RefreshOrder_Available_IsTheDeadline()
    {
        var settings = new KeepAliveSettings(new PresenceKeepAliveOptions { Lease = TimeSpan.FromMinutes(30) });
        var deadline = SessionTiming.Deadline(settings, PresenceState.Available, Accepted);
        var due = SessionTiming.NextRefresh(settings, PresenceState.Available, Accepted, 0);

        Assert.That(SessionTiming.RefreshOrder(settings, PresenceState.Available, due, deadline), Is.EqualTo(deadline));
    }

    [Test]
    public void RefreshOrder_BusyWithAThirtyMinuteLease_IsTheDeadlineLessTheLifetimeBeyondTheTimeout()
    {
        // Ordered as if it had one SessionTimeout to live: 30 min - 5 min = 25 min ahead of its deadline.
        var settings = new KeepAliveSettings(new PresenceKeepAliveOptions { Lease = TimeSpan.FromMinutes(30) });
        var deadline = SessionTiming.Deadline(settings, PresenceState.BusyInACall, Accepted);
        var due = SessionTiming.NextRefresh(settings, PresenceState.BusyInACall, Accepted, 0, phase: 0.5);

        Assert.Multiple(() =>
        {
            Assert.That(deadline - Accepted, Is.EqualTo(TimeSpan.FromMinutes(30).Ticks));
            Assert.That(SessionTiming.RefreshOrder(settings, PresenceState.BusyInACall, due, deadline), Is.EqualTo(Accepted + TimeSpan.FromMinutes(5).Ticks));
        });
    }

    [Test]
    public void RefreshOrder_AllStatesTimeOut_BusyIsOrderedByItsDeadline()
    {
        var settings = new KeepAliveSettings(new PresenceKeepAliveOptions { Lease = TimeSpan.FromMinutes(30), AllStatesTimeOut = true });
        var deadline = SessionTiming.Deadline(settings, PresenceState.BusyInACall, Accepted);
        var due = SessionTiming.NextRefresh(settings, PresenceState.BusyInACall, Accepted, 0);

        Assert.That(SessionTiming.RefreshOrder(settings, PresenceState.BusyInACall, due, deadline), Is.EqualTo(deadline));
    }
}
