namespace PresenceKeepAlive.Diagnostics.Internal;

/// <summary>
/// Every log message of the library, with fixed event ids: 1–99 protocol and HTTP, 100–199 sessions and the
/// scheduler, 200–299 hosting. One partial file per facet. No message carries a token, secret or header value.
/// </summary>
internal static partial class Log
{
}
