using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.Tests.Fakes;

internal static class Clock
{
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);

    public static FakeTimeProvider Create() => new(Start);

    /// <summary>Moves time forward in steps, so that every timer fires at (or just after) its due time.</summary>
    public static void Run(this FakeTimeProvider time, TimeSpan duration, TimeSpan? step = null)
    {
        var s = step ?? TimeSpan.FromSeconds(1);
        var end = time.GetUtcNow() + duration;
        while (time.GetUtcNow() + s <= end)
        {
            time.Advance(s);
        }

        var rest = end - time.GetUtcNow();
        if (rest > TimeSpan.Zero)
        {
            time.Advance(rest);
        }
    }
}
