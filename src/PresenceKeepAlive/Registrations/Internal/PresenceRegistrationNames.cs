using Microsoft.Extensions.Configuration;

namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>The named registrations of one service collection, in the order they were added. Registered once.</summary>
internal sealed class PresenceRegistrationNames
{
    private readonly List<string> _names = [];
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly HashSet<string> _bound = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<string> Names => _names;

    public bool Contains(string name) => _known.Contains(name);

    /// <summary>Adds <paramref name="name"/>; returns <see langword="false"/> when it was there already.</summary>
    public bool Add(string name)
    {
        if (!_known.Add(name))
        {
            return false;
        }

        _names.Add(name);
        return true;
    }

    /// <summary>Records that <paramref name="configuration"/> is bound to <paramref name="name"/>; <see langword="false"/> when it already was.</summary>
    public bool TryAddBinding(string name, IConfiguration configuration) =>
        _bound.Add(name + "\n" + (configuration is IConfigurationSection section ? section.Path : configuration.GetHashCode().ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
