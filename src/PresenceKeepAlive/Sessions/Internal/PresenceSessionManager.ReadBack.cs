namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>Read-back's view of the sessions (see <see cref="ReadBackLoop"/>).</summary>
internal sealed partial class PresenceSessionManager
{
    /// <summary>Gets the read-back loop, or <see langword="null"/> when read-back is off.</summary>
    internal ReadBackLoop? ReadBack { get; private set; }

    /// <summary>Returns the user ids read-back reads this cycle: sessions with a confirmed state, or with a mismatch to clear.</summary>
    internal List<string> ReadBackCandidates()
    {
        var ids = new List<string>();
        foreach (var session in _sessions.Values)
        {
            if (session.WantsReadBack)
            {
                ids.Add(session.UserId);
            }
        }

        return ids;
    }

    /// <summary>Returns the session of <paramref name="userId"/>, if held.</summary>
    internal PresenceSession? FindSession(string userId) => _sessions.TryGetValue(userId, out var session) ? session : null;

    /// <summary>Counts the sessions with a mismatch in force (for the observable instrument).</summary>
    internal long CountMismatched()
    {
        long count = 0;
        foreach (var session in _sessions.Values)
        {
            if (session.Mismatch is not null)
            {
                count++;
            }
        }

        return count;
    }

    private void StartReadBack(PresenceKeepAliveOptions options) => ReadBack = ReadBackLoop.Create(this, options.ReadBack);
}
