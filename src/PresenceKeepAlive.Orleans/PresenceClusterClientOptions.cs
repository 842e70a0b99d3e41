namespace PresenceKeepAlive.Orleans;

/// <summary>Options of an Orleans client that uses the cluster's presence sessions (<c>clientBuilder.AddPresenceKeepAliveClient(…)</c>).</summary>
public sealed class PresenceClusterClientOptions
{
    /// <summary>Gets the names of the presence registrations the client uses: the silos' named registrations (<c>AddPresenceSession(name, …)</c> or <c>AddPresenceRegistrations</c>).</summary>
    public IList<string> Registrations { get; } = [];

    /// <summary>Gets or sets whether disposing a session signs the user off.</summary>
    /// <value>The default is <see langword="true"/>, as <see cref="PresenceKeepAliveOptions.SignOffOnDispose"/>.</value>
    public bool SignOffOnDispose { get; set; } = true;
}
