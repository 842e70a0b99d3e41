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
            var cap = TimeSpan.FromSeconds(20);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref changed, next);
                if (condition())
                {
                    return;
                }

                try
                {
                    await next.Task.WaitAsync(cap - clock.Elapsed);
                }
                catch (Exception ex) when (ex is TimeoutException or ArgumentOutOfRangeException)
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
