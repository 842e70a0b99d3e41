using Microsoft.Extensions.Configuration;

namespace PresenceKeepAlive.DependencyInjection.Internal;

/// <summary>
/// Registered once per service collection, so that calling <c>AddPresenceSession</c> again neither adds the HTTP
/// pipeline twice nor binds the same configuration twice.
/// </summary>
internal sealed class PresenceKeepAliveMarker
{
    public bool ServicesAdded { get; set; }

    private readonly HashSet<object> _bound = [];

    /// <summary>
    /// Records that <paramref name="configuration"/> is bound; returns <see langword="false"/> when it already was.
    /// Sections are told apart by path (<c>GetSection</c> returns a new object each time), other configurations by identity.
    /// </summary>
    public bool TryAddBinding(IConfiguration configuration)
    {
        if (!_bound.Add(configuration is IConfigurationSection section ? "section:" + section.Path.ToUpperInvariant() : configuration))
        {
            return false;
        }

        Bound.Add(configuration);
        return true;
    }

    /// <summary>Gets the configurations bound, so that validation can say when they are missing or empty.</summary>
    public List<IConfiguration> Bound { get; } = [];
}
