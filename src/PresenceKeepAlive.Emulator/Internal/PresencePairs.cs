namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>The pairs each operation accepts, and the ranks used to aggregate sessions.</summary>
internal static class PresencePairs
{
    public const string Available = "Available";
    public const string AvailableInactive = "AvailableInactive";
    public const string Away = "Away";
    public const string Busy = "Busy";
    public const string DoNotDisturb = "DoNotDisturb";
    public const string Offline = "Offline";

    public static readonly PresencePair OfflinePair = new(Offline, Offline);
    public static readonly PresencePair AvailablePair = new(Available, Available);
    public static readonly PresencePair AvailableInactivePair = new(Available, AvailableInactive);
    public static readonly PresencePair AwayPair = new(Away, Away);

    public static readonly PresencePair[] SetPresence =
    [
        AvailablePair,
        new(Busy, "InACall"),
        new(Busy, "InAConferenceCall"),
        AwayPair,
        new(DoNotDisturb, "Presenting"),
    ];

    public static readonly PresencePair[] Preferred =
    [
        AvailablePair,
        new(Busy, Busy),
        new(DoNotDisturb, DoNotDisturb),
        new("BeRightBack", "BeRightBack"),
        AwayPair,
        new(Offline, "OffWork"),
    ];

    public static readonly PresencePair[] SeedPatch =
    [
        AvailablePair,
        new(Busy, "InACall"),
        new(Busy, "InAConferenceCall"),
        AwayPair,
        OfflinePair,
    ];

    public static readonly string SetPresenceList = Describe(SetPresence);
    public static readonly string PreferredList = Describe(Preferred);
    public static readonly string SeedPatchList = Describe(SeedPatch);

    /// <summary>Finds a pair case-insensitively; returns the canonical casing.</summary>
    public static bool TryFind(PresencePair[] allowed, string? availability, string? activity, out PresencePair pair)
    {
        if (availability is not null && activity is not null)
        {
            foreach (var candidate in allowed)
            {
                if (string.Equals(candidate.Availability, availability, StringComparison.OrdinalIgnoreCase)
                    && string.Equals(candidate.Activity, activity, StringComparison.OrdinalIgnoreCase))
                {
                    pair = candidate;
                    return true;
                }
            }
        }

        pair = default;
        return false;
    }

    /// <summary>Precedence among sessions: DoNotDisturb, Busy, Available (active before inactive), Away.</summary>
    public static int Rank(PresencePair pair) => pair.Availability switch
    {
        DoNotDisturb => 5,
        Busy => 4,
        Available => pair.Activity == AvailableInactive ? 2 : 3,
        Away => 1,
        _ => 0,
    };

    private static string Describe(PresencePair[] pairs) => string.Join(", ", pairs.Select(p => p.ToString()));
}
