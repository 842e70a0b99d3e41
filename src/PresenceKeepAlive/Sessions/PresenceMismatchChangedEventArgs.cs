namespace PresenceKeepAlive;

/// <summary>Data of <see cref="IPresenceSession.MismatchChanged"/>.</summary>
public sealed class PresenceMismatchChangedEventArgs : EventArgs
{
    /// <summary>Initializes the data.</summary>
    /// <param name="userId">The session's user.</param>
    /// <param name="mismatch">The mismatch now in force, or <see langword="null"/> when others see the desired state again.</param>
    /// <param name="previous">The mismatch before, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="userId"/> is <see langword="null"/>.</exception>
    public PresenceMismatchChangedEventArgs(string userId, PresenceMismatch? mismatch, PresenceMismatch? previous)
    {
        ArgumentNullException.ThrowIfNull(userId);
        UserId = userId;
        Mismatch = mismatch;
        Previous = previous;
    }

    /// <summary>Gets the session's user.</summary>
    public string UserId { get; }

    /// <summary>Gets the mismatch now in force, or <see langword="null"/> when others see the desired state again.</summary>
    public PresenceMismatch? Mismatch { get; }

    /// <summary>Gets the mismatch before this change, or <see langword="null"/>.</summary>
    public PresenceMismatch? Previous { get; }
}
