namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>Runs an asynchronous disposal once; concurrent and repeated callers all wait for that one run.</summary>
internal static class DisposeOnce
{
    public static ValueTask Run(ref Task? slot, Func<Task> dispose)
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Interlocked.CompareExchange(ref slot, mine.Task, null);
        return first is not null ? new ValueTask(first) : new ValueTask(RunAsync(mine, dispose));
    }

    private static async Task RunAsync(TaskCompletionSource done, Func<Task> dispose)
    {
        try
        {
            await dispose().ConfigureAwait(false);
            done.SetResult();
        }
        catch (Exception ex)
        {
            done.SetException(ex);
            throw;
        }
    }
}
