using System.Text;

namespace PresenceKeepAlive.Orleans.Internal;

/// <summary>The grain keys of the distributed mode: a session is "{registration}/{user id}", a bucket "{registration}/{index}".</summary>
internal static class SessionKeys
{
    public static string Session(string registration, string userId) => registration + "/" + userId.ToLowerInvariant();

    public static string Bucket(string registration, int index) => registration + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Splits a session or bucket key at its first '/' (registration names cannot hold one).</summary>
    public static (string Registration, string Id) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == key.Length - 1)
        {
            throw new ArgumentException($"'{key}' is not a presence grain key: expected \"registration/user\" or \"registration/bucket\".", nameof(key));
        }

        return (key[..slash], key[(slash + 1)..]);
    }

    /// <summary>
    /// Returns the bucket of <paramref name="userId"/>: a stable hash (FNV-1a over the lower-case UTF-8 id, the same in
    /// every process and version), never <see cref="string.GetHashCode()"/>, which differs from one process to the next.
    /// </summary>
    public static int BucketOf(string userId, int bucketCount)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(userId.ToLowerInvariant()))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % (uint)Math.Max(1, bucketCount));
    }

    /// <summary>Checks a registration name can be part of a key.</summary>
    public static void ValidateRegistration(string registration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(registration);
        if (registration.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The presence registration name '{registration}' contains '/', which the distributed mode uses in its grain keys: rename the registration.", nameof(registration));
        }
    }
}
