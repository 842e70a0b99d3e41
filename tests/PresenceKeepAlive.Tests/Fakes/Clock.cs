using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.Tests.Fakes;

internal static class Clock
{
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);

    public static FakeTimeProvider Create() => new(Start);

    /// <summary>
    /// Waits (on a condition, not a timer) until every send the engine dispatched has run to its first wait: sends run on
    /// thread-pool threads, so after moving the fake clock a test settles before it looks.
    /// </summary>
    public static void Settle()
    {
        if (!SpinWait.SpinUntil(() => PresenceKeepAlive.KeepAlive.Internal.KeepAliveScheduler.PendingDispatches == 0, TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException("Dispatched sends did not start within 10 s.");
        }
    }

    /// <summary>Moves time forward by <paramref name="duration"/> at once, then settles.</summary>
    public static void AdvanceAndSettle(this FakeTimeProvider time, TimeSpan duration)
    {
        Settle();
        time.Advance(duration);
        Settle();
    }

    /// <summary>Moves time forward in steps, so that every timer fires at (or just after) its due time.</summary>
    public static void Run(this FakeTimeProvider time, TimeSpan duration, TimeSpan? step = null)
    {
        var s = step ?? TimeSpan.FromSeconds(1);
        var end = time.GetUtcNow() + duration;
        Settle();
        while (time.GetUtcNow() + s <= end)
        {
            time.Advance(s);
            Settle();
        }

        var rest = end - time.GetUtcNow();
        if (rest > TimeSpan.Zero)
        {
            time.Advance(rest);
            Settle();
        }
    }
}
