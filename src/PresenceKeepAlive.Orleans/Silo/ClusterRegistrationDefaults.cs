using Microsoft.Extensions.Options;

namespace PresenceKeepAlive.Orleans.Silo;

/// <summary>
/// Applies the cluster's refresh margin and lease to every registration, and turns the silo-side sign-offs off: a silo that
/// stops or dies hands its sessions over; only the application (disposing or clearing a session) signs users off.
/// </summary>
internal sealed class ClusterRegistrationDefaults(IOptions<PresenceClusterOptions> cluster) : IPostConfigureOptions<PresenceKeepAliveOptions>
{
    public void PostConfigure(string? name, PresenceKeepAliveOptions options)
    {
        var o = cluster.Value;
        if (o.RefreshMargin is { } margin)
        {
            options.RefreshMargin = margin;
        }

        if (o.Lease is { } lease)
        {
            options.Lease = lease;
        }

        options.SignOffOnStop = false;
        options.SignOffOnDispose = false;
    }
}
