namespace PresenceKeepAlive.DependencyInjection.Internal;

/// <summary>Registered once, so that calling <c>AddPresenceSession</c> again does not add the HTTP pipeline twice.</summary>
internal sealed class PresenceKeepAliveMarker;
