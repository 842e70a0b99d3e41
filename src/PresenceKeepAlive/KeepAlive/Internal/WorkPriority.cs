namespace PresenceKeepAlive.KeepAlive.Internal;

/// <summary>What a due work item is for; lower values are sent first when the budget is scarce.</summary>
internal enum WorkPriority
{
    /// <summary>A new desired state (or a sign-off) the application asked for.</summary>
    StateChange = 0,

    /// <summary>A keep-alive refresh of an accepted state.</summary>
    Refresh = 1,

    /// <summary>A retry after a transient failure.</summary>
    Retry = 2,
}
