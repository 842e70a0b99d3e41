using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using PresenceKeepAlive.Orleans.Client;
using PresenceKeepAlive.Orleans.Silo;

namespace PresenceKeepAlive.Cluster;

/// <summary>What the sample looks at beyond the public API, to print its timeline: which silo holds each session, and what each silo did.</summary>
internal static class Inspection
{
    public static string SiloName(IServiceProvider silo) => silo.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString();

    /// <summary>Asks each session's grain where it lives.</summary>
    public static async Task<Dictionary<string, string>> HoldersAsync(IPresenceSessionManager manager)
    {
        var sessions = manager.Sessions.Cast<ClusterPresenceSession>().ToList();
        await Parallel.ForEachAsync(sessions, new ParallelOptions { MaxDegreeOfParallelism = 50 }, async (s, ct) => await s.RefreshAsync(ct));
        return sessions.ToDictionary(s => s.UserId, s => s.Silo ?? "?");
    }
}

/// <summary>The silos' distributed-mode events, with when they happened.</summary>
internal sealed class Timeline
{
    private readonly List<(DateTimeOffset At, Kind What, string? Silo, string? Detail)> _events = [];

    public enum Kind
    {
        Detected,
        TakenOver,
    }

    public void Watch(IServiceProvider silo) =>
        silo.GetRequiredService<ClusterDiagnostics>().Event += e =>
        {
            Kind? kind = e.Kind switch
            {
                ClusterEventKind.SiloLeaving => Kind.Detected,
                ClusterEventKind.SessionTakenOver => Kind.TakenOver,
                _ => null,
            };
            if (kind is { } k)
            {
                lock (_events)
                {
                    _events.Add((e.At, k, e.Silo, e.Detail));
                }
            }
        };

    public DateTimeOffset? First(Kind kind, string silo)
    {
        lock (_events)
        {
            return _events.Where(e => e.What == kind && e.Silo == silo).Select(e => (DateTimeOffset?)e.At).Min();
        }
    }

    /// <summary>Counts the events of <paramref name="kind"/> after <paramref name="after"/> about one of <paramref name="grains"/> (grain keys), each grain once.</summary>
    public int Count(Kind kind, DateTimeOffset after, IReadOnlySet<string> grains)
    {
        lock (_events)
        {
            return _events.Where(e => e.What == kind && e.At >= after && e.Detail is { } d && grains.Contains(d)).Select(e => e.Detail).Distinct().Count();
        }
    }

    public DateTimeOffset? Last(Kind kind, DateTimeOffset after, IReadOnlySet<string> grains)
    {
        lock (_events)
        {
            return _events.Where(e => e.What == kind && e.At >= after && e.Detail is { } d && grains.Contains(d)).Select(e => (DateTimeOffset?)e.At).Max();
        }
    }
}
