using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>The user-level one-shot requests: preferred presence and the status message (see <see cref="OneShotWork"/>).</summary>
internal sealed partial class PresenceSession
{
    public Task SetPreferredPresenceAsync(PreferredPresence presence, TimeSpan? expiration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(presence);
        var duration = expiration ?? presence.DefaultExpiration;
        if (PreferredPresence.DescribeInvalidExpiration(duration) is { } problem)
        {
            throw new ArgumentOutOfRangeException(nameof(expiration), expiration, problem);
        }

        var protocol = UserProtocol();
        return _manager.RunOneShotAsync(ct => protocol.SetPreferredPresenceAsync(UserId, presence, duration, ct), cancellationToken);
    }

    public Task ClearPreferredPresenceAsync(CancellationToken cancellationToken = default)
    {
        var protocol = UserProtocol();
        return _manager.RunOneShotAsync(ct => protocol.ClearPreferredPresenceAsync(UserId, ct), cancellationToken);
    }

    public Task SetStatusMessageAsync(PresenceStatusMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.ExpiresAt is { } expiresAt && expiresAt <= _manager.TimeProvider.GetUtcNow())
        {
            throw new ArgumentOutOfRangeException(
                nameof(message),
                expiresAt,
                $"The status message's expiry {expiresAt:O} has already passed; give a later one, or none for a message that does not expire.");
        }

        var protocol = UserProtocol();
        return _manager.RunOneShotAsync(ct => protocol.SetStatusMessageAsync(UserId, message, ct), cancellationToken);
    }

    public Task ClearStatusMessageAsync(CancellationToken cancellationToken = default)
    {
        var protocol = UserProtocol();
        return _manager.RunOneShotAsync(ct => protocol.SetStatusMessageAsync(UserId, null, ct), cancellationToken);
    }

    private IPresenceUserProtocol UserProtocol()
    {
        lock (Lock)
        {
            ObjectDisposedException.ThrowIf(_state.Disposed, this);
        }

        return _manager.UserProtocol;
    }
}
