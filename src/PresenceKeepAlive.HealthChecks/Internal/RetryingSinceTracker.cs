using System.Collections.Concurrent;

namespace PresenceKeepAlive.HealthChecks.Internal;

/// <summary>
/// Remembers when each session started retrying, for sessions that were never confirmed (whose
/// <see cref="IPresenceSession.LastConfirmedAt"/> cannot say how long their presence has been at risk). It listens to
/// <see cref="IPresenceSessionManager.StatusChanged"/> from its first use on; a session already retrying by then counts
/// from when a check first saw it.
/// </summary>
internal sealed class RetryingSinceTracker
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _since = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _timeProvider;

    public RetryingSinceTracker(IPresenceSessionManager manager, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(manager);
        _timeProvider = timeProvider;
        manager.StatusChanged += OnStatusChanged;
    }

    /// <summary>Returns since when <paramref name="session"/> (now retrying) has been seen retrying.</summary>
    public DateTimeOffset RetryingSince(IPresenceSession session, DateTimeOffset now) => _since.GetOrAdd(session.UserId, now);

    /// <summary>Forgets sessions that are no longer retrying, in case a status event was missed.</summary>
    public void Forget(IPresenceSession session) => _since.TryRemove(session.UserId, out _);

    private void OnStatusChanged(object? sender, PresenceSessionStatusChangedEventArgs e)
    {
        // Runs on the thread that changed the status: only a dictionary write.
        if (e.Status == PresenceSessionStatus.Retrying)
        {
            _since.TryAdd(e.UserId, _timeProvider.GetUtcNow());
        }
        else
        {
            _since.TryRemove(e.UserId, out _);
        }
    }
}
