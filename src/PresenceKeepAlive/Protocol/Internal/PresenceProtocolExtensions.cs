namespace PresenceKeepAlive.Protocol.Internal;

/// <summary>Calls of <see cref="IPresenceProtocol"/> whose request span is a root span (no parent).</summary>
internal static class PresenceProtocolExtensions
{
    /// <summary>Sets presence with a root request span.</summary>
    public static Task SetPresenceAsync(this IPresenceProtocol protocol, string userId, PresenceState state, CancellationToken cancellationToken) =>
        protocol.SetPresenceAsync(userId, state, default, cancellationToken);

    /// <summary>Signs off with a root request span.</summary>
    public static Task ClearPresenceAsync(this IPresenceProtocol protocol, string userId, CancellationToken cancellationToken) =>
        protocol.ClearPresenceAsync(userId, default, cancellationToken);
}
