using System.Collections.Concurrent;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>All users' presence state; thread safe through one lock per user.</summary>
internal sealed class PresenceStore
{
    private readonly ConcurrentDictionary<string, UserState> users = new(StringComparer.OrdinalIgnoreCase);
    private readonly Func<string, UserState> createUser;
    private long sequence;

    public PresenceStore(EmulatedClock clock, PresenceRules rules, int maxHistoryPerUser)
    {
        Clock = clock;
        Rules = rules;
        createUser = id => new UserState(id, Clock.Now, maxHistoryPerUser);
    }

    public EmulatedClock Clock { get; }

    public PresenceRules Rules { get; }

    public void SetSession(string userId, string sessionId, EmulatedSessionProtocol protocol, PresencePair pair, TimeSpan? lease)
    {
        var user = users.GetOrAdd(userId, createUser);
        lock (user.Gate)
        {
            var now = user.CatchUp(Clock.Now, Rules, ref sequence);
            user.Upsert(sessionId, protocol, pair, now, Rules.ExpiryFor(protocol, now, lease), Rules, ref sequence);
        }
    }

    public bool ClearSession(string userId, string sessionId)
    {
        if (!users.TryGetValue(userId, out var user))
        {
            return false;
        }

        lock (user.Gate)
        {
            var now = user.CatchUp(Clock.Now, Rules, ref sequence);
            return user.Remove(sessionId, now, Rules, ref sequence);
        }
    }

    public void SetPreferred(string userId, PresencePair pair, TimeSpan duration)
    {
        var user = users.GetOrAdd(userId, createUser);
        lock (user.Gate)
        {
            var now = user.CatchUp(Clock.Now, Rules, ref sequence);
            user.SetPreferred(new PreferredRecord(pair, now + duration), now, Rules, ref sequence);
        }
    }

    public void ClearPreferred(string userId)
    {
        if (!users.TryGetValue(userId, out var user))
        {
            return;
        }

        lock (user.Gate)
        {
            var now = user.CatchUp(Clock.Now, Rules, ref sequence);
            user.SetPreferred(null, now, Rules, ref sequence);
        }
    }

    public PresencePair GetPresence(string userId)
    {
        if (!users.TryGetValue(userId, out var user))
        {
            return PresencePairs.OfflinePair;
        }

        lock (user.Gate)
        {
            user.CatchUp(Clock.Now, Rules, ref sequence);
            return user.Aggregate;
        }
    }

    public List<EmulatedSession> GetSessions(string userId)
    {
        if (!users.TryGetValue(userId, out var user))
        {
            return [];
        }

        lock (user.Gate)
        {
            var now = user.CatchUp(Clock.Now, Rules, ref sequence);
            return user.SnapshotSessions(now, Rules);
        }
    }

    public List<PresenceChange> GetHistory(string? userId)
    {
        var result = new List<PresenceChange>();
        if (userId is not null)
        {
            if (users.TryGetValue(userId, out var user))
            {
                lock (user.Gate)
                {
                    user.CatchUp(Clock.Now, Rules, ref sequence);
                    user.CopyHistory(result);
                }
            }

            return result;
        }

        foreach (var pair in users)
        {
            lock (pair.Value.Gate)
            {
                pair.Value.CatchUp(Clock.Now, Rules, ref sequence);
                pair.Value.CopyHistory(result);
            }
        }

        result.Sort(CompareChanges);
        return result;
    }

    /// <summary>Orders changes by emulated time, then by the order they were recorded.</summary>
    public static int CompareChanges(PresenceChange a, PresenceChange b)
    {
        var byTime = a.Timestamp.CompareTo(b.Timestamp);
        return byTime != 0 ? byTime : a.Sequence.CompareTo(b.Sequence);
    }

    /// <summary>A consistent-per-user snapshot of every user, for the admin state endpoint.</summary>
    public List<UserSnapshot> Snapshot()
    {
        var result = new List<UserSnapshot>();
        foreach (var pair in users)
        {
            var user = pair.Value;
            lock (user.Gate)
            {
                var now = user.CatchUp(Clock.Now, Rules, ref sequence);
                var history = new List<PresenceChange>();
                user.CopyHistory(history);
                var preferred = user.SessionCount > 0 ? user.Preferred : null;
                result.Add(new UserSnapshot(
                    user.UserId,
                    user.Aggregate,
                    user.Preferred,
                    preferred is not null,
                    user.SnapshotSessions(now, Rules),
                    history));
            }
        }

        return result;
    }
}
