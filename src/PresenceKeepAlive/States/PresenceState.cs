using System.Diagnostics.CodeAnalysis;
using PresenceKeepAlive.States.Internal;

namespace PresenceKeepAlive;

/// <summary>
/// An availability/activity pair that an application session can set for a user. Only supported pairs
/// exist: use the named values (<see cref="Available"/>, <see cref="BusyInACall"/>, …) or
/// <see cref="Parse(string, string)"/> for input from configuration or users.
/// </summary>
/// <remarks>
/// <para>
/// Microsoft Graph's v1.0 <c>setPresence</c> action accepts <see cref="Available"/>, <see cref="BusyInACall"/>,
/// <see cref="BusyInAConferenceCall"/>, <see cref="Away"/> and <see cref="DoNotDisturbPresenting"/>.
/// The beta <c>PATCH /users/{id}/presence</c> protocol (<see cref="PresenceProtocol.Patch"/>) accepts
/// <see cref="Available"/>, <see cref="BusyInACall"/>, <see cref="BusyInAConferenceCall"/>, <see cref="Away"/>
/// and <see cref="Offline"/>, which signs the app session off.
/// </para>
/// <para>"In a meeting" and "Out of office" cannot be set by an application: they come from the user's calendar and mailbox.</para>
/// </remarks>
public sealed class PresenceState : IEquatable<PresenceState>
{
    /// <summary>Available / Available.</summary>
    public static PresenceState Available { get; } = new("Available", "Available", PresenceProtocols.Both);

    /// <summary>Busy / InACall.</summary>
    public static PresenceState BusyInACall { get; } = new("Busy", "InACall", PresenceProtocols.Both);

    /// <summary>Busy / InAConferenceCall.</summary>
    public static PresenceState BusyInAConferenceCall { get; } = new("Busy", "InAConferenceCall", PresenceProtocols.Both);

    /// <summary>Away / Away.</summary>
    public static PresenceState Away { get; } = new("Away", "Away", PresenceProtocols.Both);

    /// <summary>DoNotDisturb / Presenting. Supported by the v1.0 <c>setPresence</c> protocol only.</summary>
    public static PresenceState DoNotDisturbPresenting { get; } = new("DoNotDisturb", "Presenting", PresenceProtocols.SetPresence);

    /// <summary>
    /// Offline / Offline: signs the app session off in the beta PATCH protocol only. With the v1.0
    /// <c>setPresence</c> protocol, sign off by clearing the session instead.
    /// </summary>
    public static PresenceState Offline { get; } = new("Offline", "Offline", PresenceProtocols.Patch);

    // Field initializers run in textual order: these must stay below the named values.
    private static readonly PresenceState[] All = [Available, BusyInACall, BusyInAConferenceCall, Away, DoNotDisturbPresenting, Offline];
    private static readonly PresenceState[] SetPresenceValues = Array.FindAll(All, s => s.IsSupportedBy(PresenceProtocol.SetPresence));
    private static readonly PresenceState[] PatchValues = Array.FindAll(All, s => s.IsSupportedBy(PresenceProtocol.Patch));

    private readonly PresenceProtocols _protocols;

    private PresenceState(string availability, string activity, PresenceProtocols protocols)
    {
        Availability = availability;
        Activity = activity;
        _protocols = protocols;
    }

    /// <summary>Gets the base presence information, for example <c>Busy</c>.</summary>
    public string Availability { get; }

    /// <summary>Gets the supplemental information to <see cref="Availability"/>, for example <c>InACall</c>.</summary>
    public string Activity { get; }

    /// <summary>Gets every supported pair, in a fixed order.</summary>
    public static IReadOnlyList<PresenceState> Values => All;

    /// <summary>Gets the pairs that <paramref name="protocol"/> can set.</summary>
    /// <param name="protocol">The wire protocol.</param>
    /// <returns>The supported pairs, in a fixed order.</returns>
    public static IReadOnlyList<PresenceState> ValuesFor(PresenceProtocol protocol) =>
        protocol switch
        {
            PresenceProtocol.SetPresence => SetPresenceValues,
            PresenceProtocol.Patch => PatchValues,
            _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown presence protocol."),
        };

    /// <summary>Returns whether <paramref name="protocol"/> can set this pair.</summary>
    /// <param name="protocol">The wire protocol.</param>
    /// <returns><see langword="true"/> when the protocol accepts this pair.</returns>
    public bool IsSupportedBy(PresenceProtocol protocol) => protocol switch
    {
        PresenceProtocol.SetPresence => (_protocols & PresenceProtocols.SetPresence) != 0,
        PresenceProtocol.Patch => (_protocols & PresenceProtocols.Patch) != 0,
        _ => false,
    };

    /// <summary>Finds the supported pair named by <paramref name="availability"/> and <paramref name="activity"/>, ignoring case.</summary>
    /// <param name="availability">The availability, for example <c>Busy</c>.</param>
    /// <param name="activity">The activity, for example <c>InACall</c>.</param>
    /// <returns>The pair.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The pair is not supported; the message lists the supported pairs.</exception>
    public static PresenceState Parse(string availability, string activity)
    {
        ArgumentNullException.ThrowIfNull(availability);
        ArgumentNullException.ThrowIfNull(activity);
        return TryParse(availability, activity, out var state)
            ? state
            : throw new FormatException(
                $"'{availability}/{activity}' is not a presence an application can set. Allowed pairs: {Describe(All)}.");
    }

    /// <summary>
    /// Finds the supported pair named by <paramref name="availability"/> and <paramref name="activity"/>,
    /// and checks that <paramref name="protocol"/> can set it.
    /// </summary>
    /// <param name="availability">The availability, for example <c>Busy</c>.</param>
    /// <param name="activity">The activity, for example <c>InACall</c>.</param>
    /// <param name="protocol">The wire protocol the pair will be sent with.</param>
    /// <returns>The pair.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The pair is not supported by <paramref name="protocol"/>; the message lists the pairs it supports.</exception>
    public static PresenceState Parse(string availability, string activity, PresenceProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(availability);
        ArgumentNullException.ThrowIfNull(activity);
        if (TryParse(availability, activity, out var state) && state.IsSupportedBy(protocol))
        {
            return state;
        }

        throw new FormatException(
            $"'{availability}/{activity}' is not a presence the {protocol} protocol can set. Allowed pairs: {Describe(ValuesFor(protocol))}.");
    }

    /// <summary>
    /// Parses a pair written as <c>Availability/Activity</c> (for example <c>Busy/InACall</c>), or a single
    /// word where availability and activity are the same (for example <c>Away</c>), ignoring case.
    /// </summary>
    /// <param name="value">The text.</param>
    /// <returns>The pair.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The text names no supported pair; the message lists the supported pairs.</exception>
    public static PresenceState Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var state)
            ? state
            : throw new FormatException(
                $"'{value}' is not a presence an application can set. Allowed pairs: {Describe(All)}.");
    }

    /// <summary>Tries to find the supported pair named by <paramref name="availability"/> and <paramref name="activity"/>, ignoring case.</summary>
    /// <param name="availability">The availability.</param>
    /// <param name="activity">The activity.</param>
    /// <param name="state">The pair, when found.</param>
    /// <returns><see langword="true"/> when the pair is supported.</returns>
    public static bool TryParse(string? availability, string? activity, [NotNullWhen(true)] out PresenceState? state)
    {
        return PresencePairText.TryFind(All, availability, activity, static v => v.Availability, static v => v.Activity, out state);
    }

    /// <summary>Tries to parse <c>Availability/Activity</c> or a single word naming a pair whose two parts are equal.</summary>
    /// <param name="value">The text.</param>
    /// <param name="state">The pair, when found.</param>
    /// <returns><see langword="true"/> when the text names a supported pair.</returns>
    public static bool TryParse(string? value, [NotNullWhen(true)] out PresenceState? state)
    {
        state = null;
        if (value is null)
        {
            return false;
        }

        var (availability, activity) = PresencePairText.Split(value);
        return TryParse(availability, activity, out state);
    }

    /// <inheritdoc/>
    public bool Equals(PresenceState? other) => ReferenceEquals(this, other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    /// <inheritdoc/>
    public override int GetHashCode() => Array.IndexOf(All, this);

    /// <summary>Returns <c>Availability/Activity</c>, for example <c>Busy/InACall</c>.</summary>
    /// <returns>The pair as text.</returns>
    public override string ToString() => Availability + "/" + Activity;

    internal static string Describe(IEnumerable<PresenceState> states) => string.Join(", ", states);

    [Flags]
    private enum PresenceProtocols
    {
        SetPresence = 1,
        Patch = 2,
        Both = SetPresence | Patch,
    }
}
