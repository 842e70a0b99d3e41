namespace PresenceKeepAlive;

/// <summary>User ids with a meaning of their own.</summary>
public static class PresenceUserIds
{
    /// <summary>
    /// The signed-in user, with a delegated credential (delegated self-mode): requests go to Graph's <c>/me</c> paths.
    /// <c>manager.GetOrCreate(PresenceUserIds.Me)</c> keeps the signed-in person's own presence alive.
    /// </summary>
    public const string Me = "me";
}
