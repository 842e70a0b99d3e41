namespace PresenceKeepAlive;

/// <summary>A user whose presence the hosted service sets on start and keeps alive.</summary>
public sealed class PresenceSessionSettings
{
    /// <summary>
    /// Gets or sets the user's object id (a GUID) or user principal name. Use the same form your code passes to
    /// <see cref="IPresenceSessionManager.GetOrCreate(string)"/>: two forms of one user make two sessions on one Graph session.
    /// </summary>
    /// <value>The default value is an empty string.</value>
    public string UserId { get; set; } = string.Empty;

    /// <summary>Gets or sets the availability, for example <c>Busy</c>.</summary>
    /// <value>The default value is <c>Available</c>.</value>
    public string Availability { get; set; } = "Available";

    /// <summary>Gets or sets the activity, for example <c>InACall</c>.</summary>
    /// <value>The default value is <c>Available</c>.</value>
    public string Activity { get; set; } = "Available";
}
