using System.Diagnostics;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>
/// The callers of one session waiting for their desire to be sent: each waits for the first send whose version is at
/// least its own. Allocated only while someone waits; used under the session's lock.
/// </summary>
internal sealed class SessionWaiters
{
    private readonly List<Waiter> _waiters = new(1);

    public int Count => _waiters.Count;

    /// <summary>Adds a waiter for <paramref name="version"/>; <paramref name="parent"/> becomes the parent span of the send that carries it.</summary>
    public Task Add(long version, ActivityContext parent)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Add(new Waiter(version, completion, parent));
        return completion.Task;
    }

    /// <summary>Returns the span context of the newest waiter of <paramref name="version"/> (the caller whose desire is being sent).</summary>
    public ActivityContext ParentOf(long version)
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Version == version)
            {
                return _waiters[i].Parent;
            }
        }

        return default;
    }

    /// <summary>Moves the waiters up to <paramref name="upToVersion"/> into <paramref name="fx"/>, to be completed after the lock.</summary>
    public void TakeUpTo(long upToVersion, Exception? error, ref SessionEffects fx)
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Version <= upToVersion)
            {
                fx.AddCompletion(_waiters[i].Completion, error);
                _waiters.RemoveAt(i);
            }
        }
    }

    private readonly record struct Waiter(long Version, TaskCompletionSource Completion, ActivityContext Parent);
}
