namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// When the current presence send started (a <see cref="TimeProvider"/> timestamp), flowing from the protocol down into
/// the HTTP pipeline, so that a retry policy can tell whether waiting for <c>Retry-After</c> still fits in the send.
/// </summary>
internal static class PresenceSendScope
{
    private static readonly AsyncLocal<long> StartedAt = new();

    /// <summary>Gets the start timestamp of the send in progress on this flow, or 0 when there is none.</summary>
    public static long Started => StartedAt.Value;

    /// <summary>Marks the start of a send. The value flows into the calls awaited below the caller, and no further.</summary>
    public static void Begin(long timestamp) => StartedAt.Value = timestamp;
}
