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
        foreach (var id in userIds)
        {
            PresenceRequestValidator.ValidateUserId(id, nameof(userIds));
            if (GraphPresenceProtocol.IsMe(id))
            {
                throw new ArgumentException("getPresencesByUserId needs the users' object ids or user principal names; 'me' is not one.", nameof(userIds));
            }

            if (seenIds.Add(id))
            {
                ids.Add(id);
            }
        }

        if (ids.Count == 0)
        {
            return [];
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var protocol = UserProtocol;
        var results = new List<SeenPresence>(ids.Count);
        for (var start = 0; start < ids.Count; start += PresenceReadBackOptions.MaxBatchSize)
        {
            var batch = ids.GetRange(start, Math.Min(PresenceReadBackOptions.MaxBatchSize, ids.Count - start));
            IReadOnlyList<SeenPresence> read = [];
            await RunOneShotAsync(async ct => read = await protocol.GetPresencesAsync(batch, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            results.AddRange(read);
        }

        return results;
    }

    /// <summary>Sends a one-shot request through the scheduler and the app's gate (see <see cref="OneShotWork"/>).</summary>
    internal Task RunOneShotAsync(Func<CancellationToken, Task> operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return OneShotWork.RunAsync(Scheduler, operation, cancellationToken);
    }
}
