namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// Thrown by <see cref="PresenceAttemptHandler"/> instead of sending an attempt for which the app's rate budget had no
/// place. Nothing was sent. Deliberately not an <see cref="HttpRequestException"/>: the retry pipeline must not retry
/// it (a retry would only ask the full budget again); the send fails transiently and the session retries through the
/// scheduler, which waits for a place.
/// </summary>
internal sealed class RateBudgetRefusedException : Exception
{
    /// <summary>Initializes the exception with the default message.</summary>
    public RateBudgetRefusedException()
        : this("The request was not sent: the rate budget of this app registration and tenant had no place for it.")
    {
    }

    /// <summary>Initializes the exception with <paramref name="message"/>.</summary>
    /// <param name="message">The message.</param>
    public RateBudgetRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public RateBudgetRefusedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets or initializes a value indicating whether the refused attempt was a retry within a send (not the send's first attempt).</summary>
    public bool WasRetry { get; init; }
}
