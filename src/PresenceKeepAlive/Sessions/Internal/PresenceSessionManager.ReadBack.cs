using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>Read-back's view of the sessions (see <see cref="ReadBackLoop"/>).</summary>
internal sealed partial class PresenceSessionManager
{
    /// <summary>Gets the read-back loop, or <see langword="null"/> when read-back is off.</summary>
    internal ReadBackLoop? ReadBack { get; private set; }

    private int _warnedNonObjectIds;

    /// <summary>
    /// Returns the user ids read-back reads this cycle: sessions with a confirmed state, or with a mismatch to clear, keyed
    /// by an object id. Sessions keyed otherwise (a user principal name, <c>me</c>) are skipped, with one warning per
    /// manager: getPresencesByUserId takes object ids only, and one such id would fail the whole batch.
    /// </summary>
    internal List<string> ReadBackCandidates()
    {
        var ids = new List<string>();
        string? firstSkipped = null;
        var skipped = 0;
        foreach (var session in _sessions.Values)
        {
            if (!session.WantsReadBack)
            {
                continue;
            }

            if (PresenceRequestValidator.IsObjectId(session.UserId))
            {
                ids.Add(session.UserId);
            }
            else
            {
                firstSkipped ??= session.UserId;
                skipped++;
            }
        }

        if (firstSkipped is not null && Interlocked.Exchange(ref _warnedNonObjectIds, 1) == 0)
        {
            Diagnostics.Internal.Log.ReadBackSkipsNonObjectIds(Logger, firstSkipped, skipped);
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
