using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using PresenceKeepAlive.Orleans.Grains;
using PresenceKeepAlive.Orleans.Internal;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Orleans.Client;

/// <summary>
/// An <see cref="IPresenceSessionManager"/> of one registration whose sessions live in the cluster (a silo or an Orleans
/// client holds one; both reach the grains through <see cref="IGrainFactory"/>). <see cref="Count"/>, <see cref="Sessions"/>
/// and <see cref="SignOffAllAsync"/> cover the sessions obtained through this manager instance, not every session of the
/// cluster.
/// </summary>
internal sealed class ClusterPresenceSessionManager : IPresenceSessionManager
{
    private readonly ConcurrentDictionary<string, ClusterPresenceSession> _sessions = new(StringComparer.OrdinalIgnoreCase);
    private readonly IGrainFactory _grains;

    public ClusterPresenceSessionManager(string registration, IGrainFactory grains, bool signOffOnDispose, TimeProvider timeProvider)
    {
        Registration = registration;
        _grains = grains;
        SignOffOnDispose = signOffOnDispose;
        TimeProvider = timeProvider;
    }

    public event EventHandler<PresenceSessionStatusChangedEventArgs>? StatusChanged;

    public string Registration { get; }

    public int Count => _sessions.Count;

    public IReadOnlyCollection<IPresenceSession> Sessions => _sessions.Values.ToArray();

    internal bool SignOffOnDispose { get; }

    internal TimeProvider TimeProvider { get; }

    public IPresenceSession GetOrCreate(string userId)
    {
        PresenceRequestValidator.ValidateUserId(userId, nameof(userId));
        return _sessions.GetOrAdd(userId, id => new ClusterPresenceSession(id, _grains.GetGrain<IPresenceSessionGrain>(SessionKeys.Session(Registration, id)), this));
    }

    public bool TryGet(string userId, [NotNullWhen(true)] out IPresenceSession? session)
    {
        if (userId is not null && _sessions.TryGetValue(userId, out var found))
        {
            session = found;
            return true;
        }

        session = null;
        return false;
    }

    public async Task<PresenceSignOffResult> SignOffAllAsync(CancellationToken cancellationToken = default)
    {
        var sessions = _sessions.Values.ToArray();
        var outcomes = await Task.WhenAll(sessions.Select(async s =>
        {
            try
            {
                await s.ClearAsync(cancellationToken).ConfigureAwait(false);
                return (s.UserId, Error: (Exception?)null);
            }
            catch (Exception ex) when (ex is PresenceRequestException or OperationCanceledException or ObjectDisposedException or TimeoutException)
            {
                return (s.UserId, Error: ex);
            }
        })).ConfigureAwait(false);
        return new PresenceSignOffResult(
            outcomes.Where(o => o.Error is null).Select(o => o.UserId).ToList(),
            outcomes.Where(o => o.Error is not null).ToDictionary(o => o.UserId, o => o.Error!, StringComparer.OrdinalIgnoreCase));
    }

    public async Task<IReadOnlyList<SeenPresence>> GetPresencesAsync(IEnumerable<string> userIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        var ids = userIds.ToList();
        foreach (var id in ids)
        {
            if (!string.Equals(id, PresenceUserIds.Me, StringComparison.OrdinalIgnoreCase))
            {
                PresenceRequestValidator.ValidateObjectId(id, nameof(userIds));
            }
        }

        var answer = await _grains.GetGrain<IPresenceRegistrationGrain>(Registration).GetPresencesAsync(ids, cancellationToken).ConfigureAwait(false);
        if (answer.Failure is { } failure)
        {
            throw WireMapping.ToException(failure, string.Join(",", ids));
        }

        return answer.Readings.Select(r => new SeenPresence(r.UserId, r.Availability, r.Activity, r.ReadAt)).ToList();
    }

    public Task SignOffAsync(string userId, CancellationToken cancellationToken = default)
    {
        PresenceRequestValidator.ValidateUserId(userId, nameof(userId));
        var session = _sessions.TryGetValue(userId, out var held)
            ? held
            : new ClusterPresenceSession(userId, _grains.GetGrain<IPresenceSessionGrain>(SessionKeys.Session(Registration, userId)), this);
        return session.SignOffAsync(cancellationToken);
    }

    internal void Remove(ClusterPresenceSession session) =>
        _sessions.TryRemove(new KeyValuePair<string, ClusterPresenceSession>(session.UserId, session));

    internal void OnStatusChanged(ClusterPresenceSession session, PresenceSessionStatusChangedEventArgs e)
    {
        try
        {
            StatusChanged?.Invoke(session, e);
        }
        catch (Exception)
        {
            // A failing handler does not stop the sessions.
        }
    }
}
