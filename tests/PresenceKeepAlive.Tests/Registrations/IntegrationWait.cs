namespace PresenceKeepAlive.Tests.Registrations;

/// <summary>
/// Waits for a condition on a pool's sessions: checked again at each status change the pool raises (no spinning, no
/// sleep), under a generous real-time cap.
/// </summary>
internal static class IntegrationWait
{
    public static async Task UntilAsync(IPresenceAppPool pool, Func<bool> condition, string? what = null)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(object? sender, PresenceSessionStatusChangedEventArgs e) => Volatile.Read(ref changed).TrySetResult();
        pool.StatusChanged += OnChanged;
        try
        {
            var giveUp = Task.Delay(TimeSpan.FromSeconds(20));
            while (true)
            {
                var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref changed, next);
                if (condition())
                {
                    return;
                }

                if (await Task.WhenAny(next.Task, giveUp) == giveUp)
                {
                    Assert.Fail("Gave up after 20 s waiting until " + (what ?? "the condition held"));
                }
            }
        }
        finally
        {
            pool.StatusChanged -= OnChanged;
        }
    }
}
