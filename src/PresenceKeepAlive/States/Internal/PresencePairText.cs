using System.Diagnostics.CodeAnalysis;

namespace PresenceKeepAlive.States.Internal;

/// <summary>
/// Text forms shared by the pair types (<see cref="PresenceState"/>, <see cref="PreferredPresence"/>): a lookup of
/// <c>availability</c> and <c>activity</c> among a type's values (case-insensitive, trimmed), and the split of
/// <c>Availability/Activity</c> or one word naming a pair whose two parts are equal.
/// </summary>
internal static class PresencePairText
{
    /// <summary>Finds the value whose parts match <paramref name="availability"/> and <paramref name="activity"/>.</summary>
    public static bool TryFind<T>(T[] values, string? availability, string? activity, Func<T, string> availabilityOf, Func<T, string> activityOf, [NotNullWhen(true)] out T? found)
        where T : class
    {
        if (availability is not null && activity is not null)
        {
            var a = availability.AsSpan().Trim();
            var b = activity.AsSpan().Trim();
            foreach (var candidate in values)
            {
                if (a.Equals(availabilityOf(candidate), StringComparison.OrdinalIgnoreCase) &&
                    b.Equals(activityOf(candidate), StringComparison.OrdinalIgnoreCase))
                {
                    found = candidate;
                    return true;
                }
            }
        }

        found = null;
        return false;
    }

    /// <summary>Splits <c>Availability/Activity</c>; one word stands for both parts.</summary>
    public static (string Availability, string Activity) Split(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (value, value) : (value[..slash], value[(slash + 1)..]);
    }
}
