using System.Diagnostics.CodeAnalysis;

namespace PresenceKeepAlive.Tests.HealthChecks;

/// <summary>A session whose public state a test sets directly.</summary>
internal sealed class FakeSession(string userId) : IPresenceSession
{
    public string UserId { get; } = userId;

    public PresenceState? DesiredState { get; set; } = PresenceState.Available;

    public PresenceSessionStatus Status { get; set; } = PresenceSessionStatus.Active;

    public DateTimeOffset? LastConfirmedAt { get; set; }

    public DateTimeOffset? NextRefreshAt { get; set; }

    public PresenceRequestException? LastError { get; set; }

    public SeenPresence? SeenPresence => null;

    public PresenceMismatch? Mismatch => null;

    public event EventHandler<PresenceSessionStatusChangedEventArgs>? StatusChanged;

    public event EventHandler<PresenceMismatchChangedEventArgs>? MismatchChanged
    {
        add { }
        remove { }
    }

    public Task SetAsync(PresenceState state, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SetPreferredPresenceAsync(PreferredPresence presence, TimeSpan? expiration = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task ClearPreferredPresenceAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SetStatusMessageAsync(PresenceStatusMessage message, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task ClearStatusMessageAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task ClearAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public void Raise(PresenceSessionStatusChangedEventArgs e) => StatusChanged?.Invoke(this, e);
}

/// <summary>A manager over <see cref="FakeSession"/>s; <see cref="Move"/> changes a status and raises the event as the real one does.</summary>
internal sealed class FakeManager : IPresenceSessionManager
{
    private readonly List<FakeSession> _sessions = [];

    public int Count => _sessions.Count;

    public IReadOnlyCollection<IPresenceSession> Sessions => _sessions.ToArray();

    public event EventHandler<PresenceSessionStatusChangedEventArgs>? StatusChanged;

    public FakeSession Add(string userId, PresenceSessionStatus status, DateTimeOffset? lastConfirmedAt = null, DateTimeOffset? nextRefreshAt = null)
    {
        var session = new FakeSession(userId) { Status = status, LastConfirmedAt = lastConfirmedAt, NextRefreshAt = nextRefreshAt };
        _sessions.Add(session);
        return session;
    }

    public void AddMany(int count, PresenceSessionStatus status, DateTimeOffset? lastConfirmedAt = null)
    {
        for (var i = 0; i < count; i++)
        {
            Add($"{status}{_sessions.Count}@contoso.com", status, lastConfirmedAt);
        }
    }

    public void Move(FakeSession session, PresenceSessionStatus status)
    {
        var previous = session.Status;
        session.Status = status;
        var e = new PresenceSessionStatusChangedEventArgs(session.UserId, previous, status, null);
        session.Raise(e);
        StatusChanged?.Invoke(this, e);
    }

    public IPresenceSession GetOrCreate(string userId) => throw new NotSupportedException();

    public bool TryGet(string userId, [NotNullWhen(true)] out IPresenceSession? session)
    {
        session = _sessions.Find(s => s.UserId == userId);
        return session is not null;
    }

    public Task<PresenceSignOffResult> SignOffAllAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<SeenPresence>> GetPresencesAsync(IEnumerable<string> userIds, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SignOffAsync(string userId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
