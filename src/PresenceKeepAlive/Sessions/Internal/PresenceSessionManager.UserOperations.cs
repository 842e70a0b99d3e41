using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>One-shot requests through the engine (see <see cref="OneShotWork"/>) and the one-shot read of many users.</summary>
internal sealed partial class PresenceSessionManager
{
    /// <summary>Gets the protocol's user-level operations.</summary>
    /// <exception cref="NotSupportedException">The protocol has none (a test double).</exception>
    internal IPresenceUserProtocol UserProtocol =>
        Protocol as IPresenceUserProtocol
        ?? throw new NotSupportedException("The configured presence protocol does not support preferred presence, status messages or reading presence.");

    public async Task<IReadOnlyList<SeenPresence>> GetPresencesAsync(IEnumerable<string> userIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        var ids = new List<string>();
        var seenIds = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var me = false;
        foreach (var id in userIds)
        {
            PresenceRequestValidator.ValidateUserId(id, nameof(userIds));
            if (GraphPresenceProtocol.IsMe(id))
            {
                // The signed-in user is read on its own path (GET /me/presence), first.
                me = true;
            }
            else
            {
                // getPresencesByUserId takes object ids only: a user principal name would fail the whole batch.
                PresenceRequestValidator.ValidateObjectId(id, nameof(userIds));
                if (seenIds.Add(id))
                {
                    ids.Add(id);
                }
            }
        }

        if (ids.Count == 0 && !me)
        {
            return [];
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var protocol = UserProtocol;
        var results = new List<SeenPresence>(ids.Count + 1);
        if (me)
        {
            SeenPresence? mine = null;
            await RunOneShotAsync(async ct => mine = await protocol.GetSignedInPresenceAsync(ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            results.Add(mine!);
        }

        for (var start = 0; start < ids.Count; start += PresenceReadBackOptions.MaxBatchSize)
        {
            var batch = ids.GetRange(start, Math.Min(PresenceReadBackOptions.MaxBatchSize, ids.Count - start));
            IReadOnlyList<SeenPresence> read = [];
            await RunOneShotAsync(async ct => read = await protocol.GetPresencesAsync(batch, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            results.AddRange(read);
        }

        return results;
    }

    public Task SignOffAsync(string userId, CancellationToken cancellationToken = default)
    {
        PresenceRequestValidator.ValidateUserId(userId, nameof(userId));
        if (_sessions.TryGetValue(userId, out var held))
        {
            // Sends clearPresence even when the held session has sent nothing yet (a session left by an earlier run).
            return held.SignOffAsync(cancellationToken);
        }

        var protocol = Protocol;
        return RunOneShotAsync(ct => protocol.ClearPresenceAsync(userId, default, ct), cancellationToken);
    }

    /// <summary>Sends a one-shot request through the scheduler and the app's gate (see <see cref="OneShotWork"/>).</summary>
    internal Task RunOneShotAsync(Func<CancellationToken, Task> operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return OneShotWork.RunAsync(Scheduler, operation, cancellationToken);
    }
}
