namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>
/// One user's sessions, preferred presence and history. Every member must be called under <see cref="Gate"/>.
/// </summary>
/// <remarks>
/// Nothing runs on timers: before each read or write the state is caught up to "now" by visiting, in order, every
/// instant in between at which a session fades or ends, so history gets the fade stages with their exact times.
/// </remarks>
internal sealed class UserState
{
    private readonly List<SessionRecord> sessions = new(2);
    private readonly Queue<PresenceChange> history = new();
    private readonly int maxHistory;
    private PreferredRecord? preferred;
    private PresencePair aggregate = PresencePairs.OfflinePair;
    private DateTimeOffset evaluatedAt;

    public UserState(string userId, DateTimeOffset createdAt, int maxHistory)
    {
        UserId = userId;
        evaluatedAt = createdAt;
        this.maxHistory = maxHistory;
    }

    public object Gate { get; } = new();

    public string UserId { get; }

    public PresencePair Aggregate => aggregate;

    public PreferredRecord? Preferred => preferred;

    public int SessionCount => sessions.Count;

    /// <summary>Applies every fade and expiry up to <paramref name="now"/>; returns the time actually used (never earlier than the last evaluation).</summary>
    public DateTimeOffset CatchUp(DateTimeOffset now, PresenceRules rules, ref long sequence)
    {
        if (now < evaluatedAt)
        {
            now = evaluatedAt;
        }

        while (true)
        {
            var next = DateTimeOffset.MaxValue;
            var timeout = rules.InactivityTimeout;
            foreach (var session in sessions)
            {
                Consider(session.LastRefreshed + timeout, now, ref next);
                Consider(session.LastRefreshed + timeout + timeout, now, ref next);
                Consider(session.ExpiresAt, now, ref next);
            }

            if (preferred is not null)
            {
                Consider(preferred.ExpiresAt, now, ref next);
            }

            if (next == DateTimeOffset.MaxValue)
            {
                break;
            }

            Evaluate(next, rules, ref sequence);
        }

        Evaluate(now, rules, ref sequence);
        return now;
    }

    public void Upsert(string sessionId, EmulatedSessionProtocol protocol, PresencePair pair, DateTimeOffset now, DateTimeOffset expiresAt, PresenceRules rules, ref long sequence)
    {
        var session = Find(sessionId);
        if (session is null)
        {
            session = new SessionRecord { SessionId = sessionId, Protocol = protocol };
            sessions.Add(session);
        }

        session.Pair = pair;
        session.LastRefreshed = now;
        session.ExpiresAt = expiresAt;
        Evaluate(now, rules, ref sequence);
    }

    public bool Remove(string sessionId, DateTimeOffset now, PresenceRules rules, ref long sequence)
    {
        var session = Find(sessionId);
        if (session is null)
        {
            return false;
        }

        sessions.Remove(session);
        Evaluate(now, rules, ref sequence);
        return true;
    }

    public void SetPreferred(PreferredRecord? value, DateTimeOffset now, PresenceRules rules, ref long sequence)
    {
        preferred = value;
        Evaluate(now, rules, ref sequence);
    }

    public List<EmulatedSession> SnapshotSessions(DateTimeOffset now, PresenceRules rules)
    {
        var result = new List<EmulatedSession>(sessions.Count);
        foreach (var session in sessions)
        {
            var current = rules.Current(session, now);
            result.Add(new EmulatedSession
            {
                SessionId = session.SessionId,
                Protocol = session.Protocol,
                Availability = session.Pair.Availability,
                Activity = session.Pair.Activity,
                CurrentAvailability = current.Availability,
                CurrentActivity = current.Activity,
                LastRefreshed = session.LastRefreshed,
                ExpiresAt = session.ExpiresAt,
            });
        }

        return result;
    }

    public void CopyHistory(List<PresenceChange> target) => target.AddRange(history);

    private void Consider(DateTimeOffset candidate, DateTimeOffset now, ref DateTimeOffset next)
    {
        if (candidate > evaluatedAt && candidate <= now && candidate < next)
        {
            next = candidate;
        }
    }

    private SessionRecord? Find(string sessionId)
    {
        foreach (var session in sessions)
        {
            if (string.Equals(session.SessionId, sessionId, StringComparison.OrdinalIgnoreCase))
            {
                return session;
            }
        }

        return null;
    }

    private void Evaluate(DateTimeOffset at, PresenceRules rules, ref long sequence)
    {
        for (var i = sessions.Count - 1; i >= 0; i--)
        {
            if (sessions[i].ExpiresAt <= at)
            {
                sessions.RemoveAt(i);
            }
        }

        if (preferred is not null && preferred.ExpiresAt <= at)
        {
            preferred = null;
        }

        var computed = Compute(at, rules);
        if (computed != aggregate)
        {
            Record(at, computed, ref sequence);
            aggregate = computed;
        }

        evaluatedAt = at;
    }

    private PresencePair Compute(DateTimeOffset at, PresenceRules rules)
    {
        if (sessions.Count == 0)
        {
            return PresencePairs.OfflinePair;
        }

        if (preferred is not null)
        {
            return preferred.Pair;
        }

        var best = PresencePairs.OfflinePair;
        var bestRank = -1;
        var bestRefreshed = DateTimeOffset.MinValue;
        foreach (var session in sessions)
        {
            var current = rules.Current(session, at);
            var rank = PresencePairs.Rank(current);
            if (rank > bestRank || (rank == bestRank && session.LastRefreshed > bestRefreshed))
            {
                best = current;
                bestRank = rank;
                bestRefreshed = session.LastRefreshed;
            }
        }

        return best;
    }

    private void Record(DateTimeOffset at, PresencePair next, ref long sequence)
    {
        if (maxHistory <= 0)
        {
            return;
        }

        while (history.Count >= maxHistory)
        {
            history.Dequeue();
        }

        history.Enqueue(new PresenceChange
        {
            UserId = UserId,
            Timestamp = at,
            PreviousAvailability = aggregate.Availability,
            PreviousActivity = aggregate.Activity,
            Availability = next.Availability,
            Activity = next.Activity,
            Sequence = Interlocked.Increment(ref sequence),
        });
    }
}
