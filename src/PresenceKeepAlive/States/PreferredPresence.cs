using System.Diagnostics.CodeAnalysis;
using PresenceKeepAlive.States.Internal;

namespace PresenceKeepAlive;

/// <summary>
/// A user's own preferred presence (<c>setUserPreferredPresence</c>): one of the six pairs Graph accepts for it. Use the
/// named values or <see cref="Parse(string, string)"/> for input from configuration or users.
/// </summary>
/// <remarks>
/// <para>
/// Preferred presence is <b>user-level</b>: it beats every application session of the user (this library's included)
/// until it expires or is cleared, which is what a user does in Teams when they pick "Do not disturb" or "Appear offline".
/// It is only in effect while the user has at least one presence session. It is a one-shot request: nothing keeps it
/// alive, and it ends at its expiry (by default one day for <see cref="Busy"/> and <see cref="DoNotDisturb"/>, seven days
/// for the others, see <see cref="DefaultExpiration"/>).
/// </para>
/// </remarks>
public sealed class PreferredPresence : IEquatable<PreferredPresence>
{
    /// <summary>Available / Available.</summary>
    public static PreferredPresence Available { get; } = new("Available", "Available");

    /// <summary>Busy / Busy.</summary>
    public static PreferredPresence Busy { get; } = new("Busy", "Busy");

    /// <summary>DoNotDisturb / DoNotDisturb.</summary>
    public static PreferredPresence DoNotDisturb { get; } = new("DoNotDisturb", "DoNotDisturb");

    /// <summary>BeRightBack / BeRightBack.</summary>
    public static PreferredPresence BeRightBack { get; } = new("BeRightBack", "BeRightBack");

    /// <summary>Away / Away.</summary>
    public static PreferredPresence Away { get; } = new("Away", "Away");

    /// <summary>Offline / OffWork: "Appear offline".</summary>
    public static PreferredPresence AppearOffline { get; } = new("Offline", "OffWork");

    // Field initializers run in textual order: this must stay below the named values.
    private static readonly PreferredPresence[] All = [Available, Busy, DoNotDisturb, BeRightBack, Away, AppearOffline];

    private PreferredPresence(string availability, string activity)
    {
        Availability = availability;
        Activity = activity;
    }

    /// <summary>Gets the longest expiry the library lets a preferred presence have: 30 days.</summary>
    public static TimeSpan MaxExpiration { get; } = TimeSpan.FromDays(30);

    /// <summary>Gets the availability, for example <c>DoNotDisturb</c>.</summary>
    public string Availability { get; }

    /// <summary>Gets the activity, for example <c>DoNotDisturb</c> (<c>OffWork</c> for <see cref="AppearOffline"/>).</summary>
    public string Activity { get; }

    /// <summary>
    /// Gets Graph's default expiry of this preferred presence, used when none is given: one day for <see cref="Busy"/> and
    /// <see cref="DoNotDisturb"/>, seven days for the others.
    /// </summary>
    public TimeSpan DefaultExpiration =>
        this == Busy || this == DoNotDisturb ? TimeSpan.FromDays(1) : TimeSpan.FromDays(7);

    /// <summary>Gets the six pairs, in a fixed order.</summary>
    public static IReadOnlyList<PreferredPresence> Values => All;

    /// <summary>Finds the pair named by <paramref name="availability"/> and <paramref name="activity"/>, ignoring case.</summary>
    /// <param name="availability">The availability, for example <c>DoNotDisturb</c>.</param>
    /// <param name="activity">The activity, for example <c>DoNotDisturb</c>.</param>
    /// <returns>The pair.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The pair is not one of the six; the message lists them.</exception>
    public static PreferredPresence Parse(string availability, string activity)
    {
        ArgumentNullException.ThrowIfNull(availability);
        ArgumentNullException.ThrowIfNull(activity);
        return TryParse(availability, activity, out var value)
            ? value
            : throw new FormatException(
                $"'{availability}/{activity}' is not a preferred presence. Allowed pairs: {Describe()}.");
    }

    /// <summary>
    /// Parses <c>Availability/Activity</c> (for example <c>Offline/OffWork</c>), a single word naming a pair whose two parts
    /// are equal (for example <c>DoNotDisturb</c>), or <c>AppearOffline</c>, ignoring case.
    /// </summary>
    /// <param name="value">The text.</param>
    /// <returns>The pair.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The text names none of the six pairs; the message lists them.</exception>
    public static PreferredPresence Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var parsed)
            ? parsed
            : throw new FormatException($"'{value}' is not a preferred presence. Allowed pairs: {Describe()} (or AppearOffline).");
    }

    /// <summary>Tries to find the pair named by <paramref name="availability"/> and <paramref name="activity"/>, ignoring case.</summary>
    /// <param name="availability">The availability.</param>
    /// <param name="activity">The activity.</param>
    /// <param name="value">The pair, when found.</param>
    /// <returns><see langword="true"/> when the pair is one of the six.</returns>
    public static bool TryParse(string? availability, string? activity, [NotNullWhen(true)] out PreferredPresence? value)
    {
        return PresencePairText.TryFind(All, availability, activity, static v => v.Availability, static v => v.Activity, out value);
    }

    /// <summary>Tries to parse <c>Availability/Activity</c>, a single word naming a pair whose parts are equal, or <c>AppearOffline</c>.</summary>
    /// <param name="value">The text.</param>
    /// <param name="parsed">The pair, when found.</param>
    /// <returns><see langword="true"/> when the text names one of the six pairs.</returns>
    public static bool TryParse(string? value, [NotNullWhen(true)] out PreferredPresence? parsed)
    {
        parsed = null;
        if (value is null)
        {
            return false;
        }

        if (value.AsSpan().Trim().Equals("AppearOffline", StringComparison.OrdinalIgnoreCase))
        {
            parsed = AppearOffline;
            return true;
        }

        var (availability, activity) = PresencePairText.Split(value);
        return TryParse(availability, activity, out parsed);
    }

    /// <summary>Returns a description of why <paramref name="expiration"/> cannot be used, or <see langword="null"/>.</summary>
    internal static string? DescribeInvalidExpiration(TimeSpan expiration) =>
        expiration <= TimeSpan.Zero || expiration > MaxExpiration
            ? $"The preferred presence expiration {expiration:c} is out of range: it must be longer than zero and at most {MaxExpiration.TotalDays:0} days."
            : null;

    /// <inheritdoc/>
    public bool Equals(PreferredPresence? other) => ReferenceEquals(this, other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    /// <inheritdoc/>
    public override int GetHashCode() => Array.IndexOf(All, this);

    /// <summary>Returns <c>Availability/Activity</c>, for example <c>Offline/OffWork</c>.</summary>
    /// <returns>The pair as text.</returns>
    public override string ToString() => Availability + "/" + Activity;

    internal static string Describe() => string.Join(", ", (IEnumerable<PreferredPresence>)All);
}
