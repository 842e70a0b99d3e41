using System.Diagnostics;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>
/// The callers of one session waiting for their desire to be sent: each waits for the first send whose version is at
/// least its own. Allocated only while someone waits; used under the session's lock. The first waiter is held in
/// fields (one caller at a time is the common case), any more in a list.
/// </summary>
internal sealed class SessionWaiters
{
    private Waiter _first;
    private bool _hasFirst;
    private List<Waiter>? _more;

    public int Count => (_hasFirst ? 1 : 0) + (_more?.Count ?? 0);

    /// <summary>Adds a waiter for <paramref name="version"/>; <paramref name="parent"/> becomes the parent span of the send that carries it.</summary>
    public Task Add(long version, ActivityContext parent)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = new Waiter(version, completion, parent);
        if (!_hasFirst)
        {
            _first = waiter;
            _hasFirst = true;
        }
        else
        {
            (_more ??= new List<Waiter>(1)).Add(waiter);
        }

        return completion.Task;
    }

    /// <summary>Returns the span context of the newest waiter of <paramref name="version"/> (the caller whose desire is being sent).</summary>
    public ActivityContext ParentOf(long version)
    {
        if (_more is { } more)
        {
            for (var i = more.Count - 1; i >= 0; i--)
            {
                if (more[i].Version == version)
                {
                    return more[i].Parent;
                }
            }
        }

        return _hasFirst && _first.Version == version ? _first.Parent : default;
    }

    /// <summary>Moves the waiters up to <paramref name="upToVersion"/> into <paramref name="fx"/>, to be completed after the lock.</summary>
    public void TakeUpTo(long upToVersion, Exception? error, ref SessionEffects fx)
    {
        if (_hasFirst && _first.Version <= upToVersion)
        {
            fx.AddCompletion(_first.Completion, error);
            _first = default;
            _hasFirst = false;
        }

        if (_more is { } more)
        {
            for (var i = more.Count - 1; i >= 0; i--)
            {
                if (more[i].Version <= upToVersion)
                {
                    fx.AddCompletion(more[i].Completion, error);
                    more.RemoveAt(i);
                }
            }

            if (!_hasFirst && more.Count > 0)
            {
                // Keep the oldest remaining waiter in the fields.
                _first = more[0];
                _hasFirst = true;
                more.RemoveAt(0);
            }
        }
    }

    private readonly record struct Waiter(long Version, TaskCompletionSource Completion, ActivityContext Parent);
}
