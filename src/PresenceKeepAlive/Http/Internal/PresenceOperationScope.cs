namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// What the HTTP pipeline needs to know about the presence operation in progress on this async flow, to count each
/// attempt: the operation's name (<c>setPresence</c>, <c>clearPresence</c>, <c>patchPresence</c>) and the caller's
/// token, which tells a caller's cancellation apart from a timeout; and when the send started, so that the retry policy
/// can tell whether waiting for a <c>Retry-After</c> still fits in the send. Set by the protocol around one send.
/// </summary>
internal static class PresenceOperationScope
{
    /// <summary>The operation name counted for attempts sent outside any presence operation.</summary>
    public const string OtherOperation = "other";

    private static readonly AsyncLocal<Operation?> CurrentOperation = new();

    /// <summary>Gets the operation in progress on this flow, or <see langword="null"/> when there is none.</summary>
    public static Operation? Current => CurrentOperation.Value;

    /// <summary>
    /// Makes <paramref name="name"/> the current operation. Call it from an <see langword="async"/> method: the value
    /// flows into the calls awaited below it and is undone when the method returns.
    /// </summary>
    /// <param name="name">The operation's name.</param>
    /// <param name="callerToken">The token of the operation's caller.</param>
    /// <param name="started">The <see cref="TimeProvider.GetTimestamp"/> at which the send started.</param>
    public static void Begin(string name, CancellationToken callerToken, long started) =>
        CurrentOperation.Value = new Operation(name, callerToken, started);

    /// <summary>One presence operation in progress.</summary>
    /// <param name="Name">The operation's name.</param>
    /// <param name="CallerToken">The token of the operation's caller.</param>
    /// <param name="Started">The <see cref="TimeProvider.GetTimestamp"/> at which the send started.</param>
    internal sealed record Operation(string Name, CancellationToken CallerToken, long Started);
}
