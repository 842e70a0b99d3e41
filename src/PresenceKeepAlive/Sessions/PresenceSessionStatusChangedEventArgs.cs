namespace PresenceKeepAlive;

/// <summary>Describes a change of <see cref="IPresenceSession.Status"/>.</summary>
public sealed class PresenceSessionStatusChangedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="PresenceSessionStatusChangedEventArgs"/> class.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="previousStatus">The status before.</param>
    /// <param name="status">The status now.</param>
    /// <param name="error">The failure that caused the change, if any.</param>
    /// <param name="sequence">The change's place among the session's status changes, from 1.</param>
    public PresenceSessionStatusChangedEventArgs(string userId, PresenceSessionStatus previousStatus, PresenceSessionStatus status, PresenceRequestException? error, long sequence = 0)
    {
        Sequence = sequence;
        UserId = userId;
        PreviousStatus = previousStatus;
        Status = status;
        Error = error;
    }

    /// <summary>Gets the user.</summary>
    public string UserId { get; }

    /// <summary>Gets the status before the change.</summary>
    public PresenceSessionStatus PreviousStatus { get; }

    /// <summary>Gets the status after the change.</summary>
    public PresenceSessionStatus Status { get; }

    /// <summary>
    /// Gets the change's place among the session's status changes, counting from 1. A session raises its changes one
    /// at a time and in this order; the number lets a subscriber that also reads other sessions' events, or the
    /// manager's, keep the latest status of each.
    /// </summary>
    public long Sequence { get; }

    /// <summary>Gets the failure that caused the change, if any.</summary>
    public PresenceRequestException? Error { get; }
}
