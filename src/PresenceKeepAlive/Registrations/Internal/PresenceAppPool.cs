using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Protocol.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>
/// A named registration: one tenant, one or more apps, each with its own engine and (app, tenant) budget. Users are
/// assigned to apps by <see cref="AppAssignment"/>; the sessions handed out are <see cref="PooledSession"/>s that follow
/// their user when the pool changes.
/// </summary>
internal sealed class PresenceAppPool : IPresenceAppPool, IAsyncDisposable, IDisposable
{
    private readonly ConcurrentDictionary<string, PooledSession> _sessions = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _changing = new(1, 1);
    private readonly List<AppSlot> _retiring = [];
    private readonly RegistrationContext _context;
    private readonly ILogger _logger;
    private AppSlot[] _slots;
    private string[] _clientIds;
    private int _disposed;

    public PresenceAppPool(RegistrationContext context, IEnumerable<AppSlot> slots, ILogger logger)
    {
        _context = context;
        _logger = logger;
        _slots = [.. slots];
        _clientIds = Array.ConvertAll(_slots, s => s.ClientId);
        foreach (var slot in _slots)
        {
            slot.Manager.StatusChanged += OnStatusChanged;
        }
    }

    public event EventHandler<PresenceSessionStatusChangedEventArgs>? StatusChanged;

    public string Name => _context.Name;

    public string? TenantId => _context.Options.TenantId;

    public IReadOnlyList<string> ClientIds => Volatile.Read(ref _clientIds);

    public int Count => _sessions.Count;

    public IReadOnlyCollection<IPresenceSession> Sessions => _sessions.Values.ToArray();

    /// <summary>Gets the apps, in the order they were added.</summary>
    internal IReadOnlyList<AppSlot> Slots => Volatile.Read(ref _slots);

    internal RegistrationContext Context => _context;

    /// <summary>Gets how many Available sessions the pool carries before any app's over-capacity warning: the sum of its apps'.</summary>
    internal long CapacitySessions => Slots.Sum(s => s.Manager.CapacitySessions);

    public string GetClientId(string userId)
    {
        PresenceRequestValidator.ValidateUserId(userId, nameof(userId));
        return SlotFor(userId, Slots).ClientId;
    }

    public IPresenceSession GetOrCreate(string userId)
    {
        PresenceRequestValidator.ValidateUserId(userId, nameof(userId));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_sessions.TryGetValue(userId, out var existing))
        {
            return existing;
        }

        lock (_sessions)
        {
            // Under the lock a change of the pool takes to publish its apps: a new user lands on the app it assigns.
            if (_sessions.TryGetValue(userId, out existing))
            {
                return existing;
            }

            var slot = SlotFor(userId, Slots);
            var created = new PooledSession(userId, slot, slot.Manager.GetOrCreate(userId), s => _sessions.TryRemove(new KeyValuePair<string, PooledSession>(s.UserId, s)));
            _sessions[userId] = created;
            return created;
        }
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
        var results = await Task.WhenAll(Slots.Select(s => s.Manager.SignOffAllAsync(cancellationToken))).ConfigureAwait(false);
        var signedOff = new List<string>();
        var failed = new Dictionary<string, Exception>(StringComparer.OrdinalIgnoreCase);
        foreach (var result in results)
        {
            signedOff.AddRange(result.SignedOff);
            foreach (var (userId, error) in result.Failed)
            {
                failed[userId] = error;
            }
        }

        return new PresenceSignOffResult(signedOff, failed);
    }

    /// <summary>Reads through the pool's first app (reading does not depend on which app set a user), within its budget.</summary>
    public Task<IReadOnlyList<SeenPresence>> GetPresencesAsync(IEnumerable<string> userIds, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return Slots[0].Manager.GetPresencesAsync(userIds, cancellationToken);
    }

    /// <summary>
    /// Signs the user off through the manager of the app that keeps it: for a held user, the app its pooled session is on
    /// (after a move under way); otherwise the app the pool assigns it to, whose session a restarted process left behind.
    /// </summary>
    public Task SignOffAsync(string userId, CancellationToken cancellationToken = default)
    {
        PresenceRequestValidator.ValidateUserId(userId, nameof(userId));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_sessions.TryGetValue(userId, out var held))
        {
            return held.SignOffThroughAppAsync(cancellationToken);
        }

        return SlotFor(userId, Slots).Manager.SignOffAsync(userId, cancellationToken);
    }

    /// <summary>
    /// Takes over <paramref name="userId"/>'s <paramref name="state"/> from another process that kept it alive (distributed
    /// mode; see <see cref="PresenceSession.Adopt"/>), on the app the pool assigns the user to.
    /// </summary>
    /// <returns>The user's session in this pool.</returns>
    internal IPresenceSession Adopt(string userId, PresenceState state, DateTimeOffset? acceptedAt, TimeSpan stoppedWithin)
    {
        var session = (PooledSession)GetOrCreate(userId);
        if (session.Current is PresenceSession engine)
        {
            engine.Adopt(state, acceptedAt, stoppedWithin);
        }

        return session;
    }

    /// <summary>Stops <paramref name="userId"/>'s session without signing off and forgets it (distributed mode: it moves to another process).</summary>
    internal void Release(string userId)
    {
        if (_sessions.TryRemove(userId, out var session) && session.Current is PresenceSession engine)
        {
            engine.Release();
        }
    }

    /// <summary>Stops every session without signing off and forgets them (distributed mode: this process is leaving the cluster).</summary>
    internal void ReleaseAll()
    {
        foreach (var userId in _sessions.Keys)
        {
            Release(userId);
        }

        foreach (var slot in AllSlots())
        {
            foreach (var session in slot.Manager.Sessions)
            {
                ((PresenceSession)session).Release();
            }
        }
    }

    public async Task<int> AddAppAsync(PresenceAppRegistration app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (PresenceRequestValidator.DescribeInvalidClientId(app.ClientId) is { } problem)
        {
            throw new ArgumentException($"Registration '{Name}': {problem}", nameof(app));
        }

        await _changing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (Slots.Any(s => string.Equals(s.ClientId, app.ClientId, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ArgumentException($"Registration '{Name}' already has app {app.ClientId}.", nameof(app));
            }

            // The token counts only until the new app is published: the moves that starts are let finish, since a move
            // abandoned half-way would leave its user signed off from the old app and never set by the new one.
            cancellationToken.ThrowIfCancellationRequested();
            var slot = _context.CreateSlot(app);
            slot.Manager.StatusChanged += OnStatusChanged;
            var moved = await RebalanceAsync([.. Slots, slot]).ConfigureAwait(false);
            Log.AppAdded(_logger, Name, slot.ClientId, moved);
            return moved;
        }
        finally
        {
            _changing.Release();
        }
    }

    public async Task<int> RemoveAppAsync(string clientId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        await _changing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var slots = Slots;
            var removed = slots.FirstOrDefault(s => string.Equals(s.ClientId, clientId, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException(
                    $"Registration '{Name}' has no app {clientId}; its apps are {string.Join(", ", slots.Select(s => s.ClientId))}.", nameof(clientId));
            if (slots.Count == 1)
            {
                throw new InvalidOperationException($"App {clientId} is the last app of registration '{Name}': a registration keeps at least one.");
            }

            // As for AddAppAsync: the token counts only until the change is published. The removed app stays reachable
            // (the pool's disposal disposes it too) until its users have moved and it is disposed.
            cancellationToken.ThrowIfCancellationRequested();
            lock (_retiring)
            {
                _retiring.Add(removed);
            }

            int moved;
            try
            {
                moved = await RebalanceAsync(slots.Where(s => !ReferenceEquals(s, removed)).ToArray()).ConfigureAwait(false);
            }
            finally
            {
                removed.Manager.StatusChanged -= OnStatusChanged;
                await removed.Manager.DisposeAsync().ConfigureAwait(false);
                lock (_retiring)
                {
                    _retiring.Remove(removed);
                }
            }

            Log.AppRemoved(_logger, Name, removed.ClientId, moved);
            return moved;
        }
        finally
        {
            _changing.Release();
        }
    }

    /// <summary>
    /// Warns (event 230) when the sessions' minimum load is more than the pool's apps can carry, saying how many more app
    /// registrations they need (each app carries as many as one app's budget allows).
    /// </summary>
    /// <param name="lifetimes">The lifetime of each session (its state's deadline after a set): one accepted request each.</param>
    /// <returns>How many more apps are needed; 0 when the pool is enough.</returns>
    internal int CheckCapacity(IEnumerable<TimeSpan> lifetimes)
    {
        var slots = Slots;
        var perApp = slots[0].Manager;
        var load = 0.0;
        long count = 0;
        foreach (var lifetime in lifetimes)
        {
            load += 1 / Math.Max(lifetime.TotalSeconds, 1);
            count++;
        }

        var needed = (int)Math.Ceiling(load / perApp.CapacityRate);
        if (needed <= slots.Count)
        {
            return 0;
        }

        var more = needed - slots.Count;
        Log.PoolOverCapacity(_logger, Name, TenantId, count, perApp.CapacitySessions, slots.Count, needed, more);
        try
        {
            slots[0].Metrics.OverCapacity();
        }
        catch (Exception)
        {
            // A throwing meter listener must not stop the start.
        }

        return more;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Task.WhenAll(AllSlots().Select(s => s.Manager.DisposeAsync().AsTask())).ConfigureAwait(false);
        _sessions.Clear();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var slot in AllSlots())
        {
            slot.Manager.Dispose();
        }

        _sessions.Clear();
    }

    /// <summary>Gets the apps and the removed apps whose users are still moving away.</summary>
    private AppSlot[] AllSlots()
    {
        lock (_retiring)
        {
            return [.. Slots, .. _retiring.Where(r => !Slots.Contains(r))];
        }
    }

    private static AppSlot SlotFor(string userId, IReadOnlyList<AppSlot> slots)
    {
        if (slots.Count == 1)
        {
            return slots[0];
        }

        var ids = new string[slots.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = slots[i].ClientId;
        }

        return slots[AppAssignment.Assign(userId, ids)];
    }

    /// <summary>Publishes <paramref name="next"/> and moves the users it assigns elsewhere; returns when every move is done.</summary>
    private async Task<int> RebalanceAsync(AppSlot[] next)
    {
        List<(PooledSession Session, AppSlot Target)> moves = [];
        lock (_sessions)
        {
            Volatile.Write(ref _slots, next);
            Volatile.Write(ref _clientIds, Array.ConvertAll(next, s => s.ClientId));
            foreach (var session in _sessions.Values)
            {
                var target = SlotFor(session.UserId, next);
                if (!ReferenceEquals(target, session.Slot))
                {
                    moves.Add((session, target));
                }
            }
        }

        // In parallel, but only about as many at once as the new apps can set in a couple of seconds: a user is signed off
        // (and shows Offline, or another app session's state) only just before its new app has a place to set it, and
        // users waiting their turn stay kept by their old app. All at once, thousands of sign-offs would go first and the
        // new app's queue would hold users unset for minutes (measured, `pools move`: 1,250 lapses moving 7,433 of 30,000 users; paced, none).
        var width = Math.Max(16, (int)Math.Ceiling(2 * next.Min(s => s.Gate.RatePerSecond)));
        // Not cancellable: every move started runs to its end before the lanes are disposed and the change is released.
        using var lanes = new SemaphoreSlim(width, width);
        await Task.WhenAll(moves.Select(m => MoveOneAsync(m.Session, m.Target, lanes))).ConfigureAwait(false);
        return moves.Count;
    }

    private async Task MoveOneAsync(PooledSession session, AppSlot target, SemaphoreSlim lanes)
    {
        await lanes.WaitAsync().ConfigureAwait(false);
        try
        {
            await session.MoveAsync(target, (from, error) => Log.MoveSignOffFailed(_logger, Name, session.UserId, from.ClientId, target.ClientId, error.Message)).ConfigureAwait(false);
        }
        finally
        {
            lanes.Release();
        }
    }

    private void OnStatusChanged(object? sender, PresenceSessionStatusChangedEventArgs e)
    {
        try
        {
            StatusChanged?.Invoke(_sessions.TryGetValue(e.UserId, out var pooled) ? pooled : sender, e);
        }
        catch (Exception ex)
        {
            Log.StatusChangedHandlerFailed(_logger, e.UserId, ex);
        }
    }
}
