using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Emulator.Internal;

namespace PresenceKeepAlive.Emulator.Tests.Internal;

public class ThrottlerTests
{
    [Test]
    public void TryAcquire_BucketEmpty_RefillsEvenlyOverTheWindow()
    {
        var time = new FakeTimeProvider();
        var clock = new EmulatedClock(time, 1.0);
        var sut = new Throttler(1500, TimeSpan.FromSeconds(30), clock);
        for (var i = 0; i < 1500; i++)
        {
            Assert.That(sut.TryAcquire("app", clock.Now, out _), Is.True);
        }

        var emptyAllowed = sut.TryAcquire("app", clock.Now, out var wait);
        time.Advance(TimeSpan.FromSeconds(1));
        var refilled = 0;
        while (sut.TryAcquire("app", clock.Now, out _))
        {
            refilled++;
        }

        Assert.That(emptyAllowed, Is.False);
        Assert.That(wait, Is.EqualTo(TimeSpan.FromMilliseconds(20)));
        Assert.That(refilled, Is.EqualTo(50), "1500 per 30 s is 50 a second");
    }

    [Test]
    public void TryAcquire_LongIdle_NeverExceedsCapacity()
    {
        var time = new FakeTimeProvider();
        var clock = new EmulatedClock(time, 1.0);
        var sut = new Throttler(3, TimeSpan.FromSeconds(30), clock);
        time.Advance(TimeSpan.FromHours(1));

        var allowed = 0;
        while (sut.TryAcquire("app", clock.Now, out _))
        {
            allowed++;
        }

        Assert.That(allowed, Is.EqualTo(3));
    }
}
