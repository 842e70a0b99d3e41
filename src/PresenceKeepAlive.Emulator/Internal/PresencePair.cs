namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>An availability/activity pair in Graph's canonical casing.</summary>
internal readonly record struct PresencePair(string Availability, string Activity)
{
    public override string ToString() => Availability + "/" + Activity;
}
