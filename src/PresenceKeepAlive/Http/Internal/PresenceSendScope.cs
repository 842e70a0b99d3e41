using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// What flows from a presence send down into the HTTP pipeline (through the async flow, not through the SDK): the
/// send's <see cref="SendTicket"/>, through which every attempt passes the app's <see cref="RequestGate"/>.
/// </summary>
internal static class PresenceSendScope
{
    private static readonly AsyncLocal<SendTicket?> CurrentTicket = new();

    /// <summary>Gets the ticket of the send in progress on this flow, or <see langword="null"/> when there is none.</summary>
    public static SendTicket? Current => CurrentTicket.Value;

    /// <summary>Gets the start timestamp of the send in progress on this flow, or 0 when there is none.</summary>
    public static long Started => CurrentTicket.Value?.Started ?? 0;

    /// <summary>Makes <paramref name="ticket"/> the current send's. The value flows into the calls awaited below the caller, and no further.</summary>
    public static void Begin(SendTicket? ticket) => CurrentTicket.Value = ticket;
}
