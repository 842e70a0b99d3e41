namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>What a due work item is for. State changes go first; refreshes and retries share one order, by deadline.</summary>
internal enum WorkPriority
{
    /// <summary>A new desired state or a sign-off the application asked for, or a retry of one not yet confirmed.</summary>
    StateChange = 0,

    /// <summary>A keep-alive refresh of an accepted state.</summary>
    Refresh = 1,

    /// <summary>A retry of a refresh after a transient failure: it keeps its deadline's place among the refreshes.</summary>
    Retry = 2,
}
