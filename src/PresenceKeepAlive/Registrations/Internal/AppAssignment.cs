namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>
/// Rendezvous (highest random weight) hashing: a user goes to the app whose hash of (user id, client id) is highest.
/// Stable across processes and restarts (a fixed 64-bit hash, not <see cref="string.GetHashCode()"/>, which is randomized
/// per process), case-insensitive like the ids, and minimal: adding an app moves only the users the new app wins, removing
/// one moves only its own users.
/// </summary>
internal static class AppAssignment
{
    /// <summary>Returns the index in <paramref name="clientIds"/> of the app that keeps <paramref name="userId"/>.</summary>
    public static int Assign(string userId, IReadOnlyList<string> clientIds)
    {
        var best = -1;
        var bestScore = 0UL;
        for (var i = 0; i < clientIds.Count; i++)
        {
            var score = Score(userId, clientIds[i]);
            if (best < 0 || score > bestScore || (score == bestScore && string.CompareOrdinal(clientIds[i], clientIds[best]) < 0))
            {
                best = i;
                bestScore = score;
            }
        }

        return best;
    }

    /// <summary>The weight of (user, app): FNV-1a over both ids (upper-cased invariantly), finished by splitmix64's mixer.</summary>
    public static ulong Score(string userId, string clientId)
    {
        const ulong Offset = 14695981039346656037UL;
        const ulong Prime = 1099511628211UL;
        var hash = Offset;
        foreach (var c in userId)
        {
            hash = (hash ^ char.ToUpperInvariant(c)) * Prime;
        }

        // A separator no id contains, so that ("ab", "c") and ("a", "bc") differ.
        hash = (hash ^ 0xFFFF) * Prime;
        foreach (var c in clientId)
        {
            hash = (hash ^ char.ToUpperInvariant(c)) * Prime;
        }

        hash ^= hash >> 30;
        hash *= 0xBF58476D1CE4E5B9UL;
        hash ^= hash >> 27;
        hash *= 0x94D049BB133111EBUL;
        hash ^= hash >> 31;
        return hash;
    }
}
