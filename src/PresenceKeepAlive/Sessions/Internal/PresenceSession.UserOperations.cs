using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>The user-level one-shot requests: preferred presence and the status message (see <see cref="OneShotWork"/>).</summary>
internal sealed partial class PresenceSession
{
    /// <summary>
    /// The sign-off of <see cref="IPresenceSessionManager.SignOffAsync"/> for a held session: as <see cref="ClearAsync(CancellationToken)"/>,
    /// and when this process has sent nothing for the session and nothing is in flight (so the clear alone would send
    /// nothing), <c>clearPresence</c> is sent anyway as a one-shot request: the service may still hold a session this
    /// application set before a restart. The session stays cleared either way.
    /// </summary>
    internal Task SignOffAsync(CancellationToken cancellationToken)
    {
        bool nothingSent;
        lock (Lock)
        {
            ObjectDisposedException.ThrowIf(_state.Disposed, this);
            nothingSent = !_state.EverSent && !_state.InFlight;
        }

        var cleared = ClearAsync(cancellationToken);
        return nothingSent ? SignOffUnsentAsync(cleared, cancellationToken) : cleared;
    }

    private async Task SignOffUnsentAsync(Task cleared, CancellationToken cancellationToken)
    {
        await cleared.ConfigureAwait(false);
        var protocol = _manager.Protocol;
        await _manager.RunOneShotAsync(ct => protocol.ClearPresenceAsync(UserId, default, ct), cancellationToken).ConfigureAwait(false);
    }

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
