namespace PresenceKeepAlive.WebSample;

/// <summary>A type of this assembly, for <c>WebApplicationFactory&lt;T&gt;</c> in tests (a static class cannot be a type argument).</summary>
public sealed class CallEventsMarker
{
    private CallEventsMarker()
    {
    }
}
