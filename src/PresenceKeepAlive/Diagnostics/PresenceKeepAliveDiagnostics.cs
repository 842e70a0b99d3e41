namespace PresenceKeepAlive;

/// <summary>Names under which the library publishes metrics and traces.</summary>
public static class PresenceKeepAliveDiagnostics
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/>, <c>PresenceKeepAlive</c>.</summary>
    public const string MeterName = "PresenceKeepAlive";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/>, <c>PresenceKeepAlive</c>.</summary>
    public const string ActivitySourceName = "PresenceKeepAlive";
}
