namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// What flows from a presence send down into the HTTP pipeline (through the async flow, not through the SDK):
/// when the send started, so that a retry policy can tell whether waiting for <c>Retry-After</c> still fits in the
/// send; and whom to tell about a throttling answer that the pipeline retries by itself, so that the keep-alive
/// scheduler can hold every other session's sends too.
/// </summary>
internal static class PresenceSendScope
{
    private static readonly AsyncLocal<long> StartedAt = new();
    private static readonly AsyncLocal<Action<TimeSpan>?> ThrottledHandler = new();

    /// <summary>Gets the start timestamp of the send in progress on this flow, or 0 when there is none.</summary>
    public static long Started => StartedAt.Value;

    /// <summary>Marks the start of a send. The value flows into the calls awaited below the caller, and no further.</summary>
    public static void Begin(long timestamp) => StartedAt.Value = timestamp;

    /// <summary>Sets who hears of throttling on this flow (the session manager, for the sends it dispatches).</summary>
    public static void OnThrottled(Action<TimeSpan>? handler) => ThrottledHandler.Value = handler;

    /// <summary>Reports a 429 with <c>Retry-After</c> seen by the pipeline.</summary>
    public static void ReportThrottled(TimeSpan retryAfter) => ThrottledHandler.Value?.Invoke(retryAfter);
}
