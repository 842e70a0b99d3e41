using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Tests.KeepAlive;

public class RateBudgetTests
{
    [TestCase(1500, 30)]
    [TestCase(10000, 30)]
    [TestCase(10, 30)]
    [TestCase(100, 1)]
    public void TryTake_AsFastAsAllowed_NeverExceedsTheLimitInAnyClosedWindow(int limit, int windowSeconds)
    {
        var window = TimeSpan.FromSeconds(windowSeconds);
        var sut = CreateSut(limit, window);
        var granted = new List<long>();

        // Poll every 100 ms for ten windows, taking everything on offer.
        for (var t = 0L; t <= window.Ticks * 10; t += TimeSpan.TicksPerMillisecond * 100)
        {
            while (sut.TryTake(t))
            {
                granted.Add(t);
            }
        }

        var worst = 0;
        for (int i = 0, j = 0; i < granted.Count; i++)
        {
            while (granted[i] - granted[j] > window.Ticks)
            {
                j++;
            }

            worst = Math.Max(worst, i - j + 1);
        }

        Assert.That(worst, Is.LessThanOrEqualTo(limit));
        // Large budgets keep nearly the nominal rate; small ones pay for the guarantee with a coarser grid.
        var floor = limit >= 1000 ? 0.95 : 0.7;
        Assert.That(granted.Count, Is.GreaterThanOrEqualTo((int)(limit * 10 * floor)));
    }

    [Test]
    public void Constructor_DefaultBudget_SustainsWithin3PercentOfNominal()
    {
        var sut = CreateSut(1500, TimeSpan.FromSeconds(30));

        Assert.That(sut.SustainedRatePerSecond, Is.InRange(48.5, 50));
        Assert.That(sut.Period, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(100)));
    }

    [Test]
    public void TryTake_TinyBudget_GrantsAtMostOnePerWindowPair()
    {
        var sut = CreateSut(3, TimeSpan.FromSeconds(30));
        var granted = 0;
        for (var t = 0L; t <= TimeSpan.FromSeconds(300).Ticks; t += TimeSpan.TicksPerSecond)
        {
            while (sut.TryTake(t))
            {
                granted++;
            }
        }

        Assert.That(granted, Is.InRange(10, 30));
    }

    [TestCase(0, 30)]
    [TestCase(-5, 30)]
    [TestCase(1500, 0)]
    [TestCase(1, 30)]
    public void Constructor_OddValues_DoesNotThrowAndGrantsSomething(int limit, int windowSeconds)
    {
        var sut = CreateSut(limit, TimeSpan.FromSeconds(windowSeconds));

        Assert.That(sut.TryTake(0), Is.True);
        Assert.That(sut.SustainedRatePerSecond, Is.GreaterThan(0));
    }

    private static RateBudget CreateSut(int limit, TimeSpan window) => new(limit, window, nowTicks: 0);
}
