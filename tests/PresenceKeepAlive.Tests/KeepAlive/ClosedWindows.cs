namespace PresenceKeepAlive.Tests.KeepAlive;

/// <summary>Counts attempts in closed windows, as Graph's budget does: the fullest window the tests check against a limit.</summary>
internal static class ClosedWindows
{
    /// <summary>Returns the most entries in any closed window <c>[t - window, t]</c> ending at an entry.</summary>
    public static int Max(IEnumerable<long> ticks, TimeSpan window)
    {
        var sorted = ticks.OrderBy(t => t).ToArray();
        var worst = 0;
        var first = 0;
        for (var last = 0; last < sorted.Length; last++)
        {
            while (sorted[last] - sorted[first] > window.Ticks)
            {
                first++;
            }

            worst = Math.Max(worst, last - first + 1);
        }

        return worst;
    }
}
