namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>The JSON bodies the presence operations accept (unknown properties are ignored, as Graph does).</summary>
internal sealed class PresenceRequestBody
{
    public string? SessionId { get; set; }

    public string? Availability { get; set; }

    public string? Activity { get; set; }

    public string? ExpirationDuration { get; set; }
}
