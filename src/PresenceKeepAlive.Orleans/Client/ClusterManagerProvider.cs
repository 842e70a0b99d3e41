using System.Collections.Concurrent;
using PresenceKeepAlive.Registrations.Internal;

namespace PresenceKeepAlive.Orleans.Client;

/// <summary>
/// The managers an application gets in the distributed mode (<see cref="IPresenceSessionManagerProvider"/> and the keyed
/// <see cref="IPresenceSessionManager"/> of each registration), in a silo or an Orleans client alike.
/// </summary>
internal sealed class ClusterManagerProvider(Func<IReadOnlyCollection<string>> names, IGrainFactory grains, bool signOffOnDispose, TimeProvider timeProvider) : IPresenceFrontEnd
{
    private readonly ConcurrentDictionary<string, ClusterPresenceSessionManager> _managers = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => names();

    public IPresenceSessionManager GetManager(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_managers.TryGetValue(name, out var existing))
        {
            return existing;
        }

        var known = Names;
        if (!known.Contains(name, StringComparer.Ordinal))
        {
            throw new KeyNotFoundException(
                $"No presence registration is named '{name}' in this cluster. " +
                (known.Count == 0 ? "None is configured: list them in AddPresenceKeepAliveClient(…) (the silos' named registrations)." : $"Registered: {string.Join(", ", known.Select(n => $"'{n}'"))}."));
        }

        return _managers.GetOrAdd(name, n => new ClusterPresenceSessionManager(n, grains, signOffOnDispose, timeProvider));
    }
}
