using Orleans.Runtime;

namespace PresenceKeepAlive.Orleans.Internal;

/// <summary>Repeats grain calls that fail because the silo they were routed to has just died (its directory entries not yet gone).</summary>
internal static class GrainCalls
{
    private static readonly TimeSpan[] Backoff =
        [TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)];

    /// <summary>Calls <paramref name="call"/>, again after a growing delay (about 16 s in all) while it fails because its silo is gone or its message was rejected.</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeProvider time, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < Backoff.Length && IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Backoff[attempt], time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Calls <paramref name="call"/> as <see cref="RetryAsync{T}"/> does.</summary>
    public static Task RetryAsync(Func<Task> call, TimeProvider time, CancellationToken cancellationToken = default) =>
        RetryAsync(async () => { await call().ConfigureAwait(false); return true; }, time, cancellationToken);

    // Not a TimeoutException: the grain may still be working on the call (Orleans does not cancel it), and repeating it
    // would pile calls up behind it.
    private static bool IsTransient(Exception ex) =>
        ex is SiloUnavailableException or OrleansMessageRejectionException;
}
