using System.Diagnostics;

namespace PresenceKeepAlive.Tests.Registrations;

/// <summary>Waits for a condition that a background send sets (no sleep: polled with <see cref="Task.Yield"/> under a real-time cap).</summary>
internal static class IntegrationWait
{
    public static async Task UntilAsync(Func<bool> condition, string? what = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                Assert.Fail("Gave up after 20 s waiting until " + (what ?? "the condition held"));
            }

            await Task.Yield();
        }
    }
}
