using System.Net;

namespace PresenceKeepAlive;

/// <summary>
/// A presence request that Microsoft Graph (or the network on the way to it) did not accept.
/// Carries what is needed to act on it and to quote it to Microsoft support.
/// </summary>
public sealed class PresenceRequestException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PresenceRequestException"/> class.</summary>
    public PresenceRequestException()
        : this("The presence request failed.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PresenceRequestException"/> class.</summary>
    /// <param name="message">The message.</param>
    public PresenceRequestException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PresenceRequestException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PresenceRequestException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets the HTTP status code, or <see langword="null"/> when no response arrived (network error, timeout).</summary>
    public HttpStatusCode? StatusCode { get; init; }

    /// <summary>Gets Graph's error code (for example <c>Forbidden</c> or <c>InvalidArgument</c>), when the response had one.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Gets the error message Graph sent, which may be empty.</summary>
    public string? ServiceMessage { get; init; }

    /// <summary>Gets the <c>request-id</c> Graph assigned to the request, for support cases.</summary>
    public string? RequestId { get; init; }

    /// <summary>Gets the <c>client-request-id</c> of the request, for support cases.</summary>
    public string? ClientRequestId { get; init; }

    /// <summary>Gets how long Graph asked the client to wait (<c>Retry-After</c>), when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Gets the operation that failed, for example <c>setPresence</c>.</summary>
    public string? Operation { get; init; }

    /// <summary>Gets the user whose presence the request was for.</summary>
    public string? UserId { get; init; }

    /// <summary>
    /// Gets a value indicating whether the failure is transient: 408, 429, 5xx, a network error or a timeout.
    /// Transient failures are worth retrying; other 4xx (400, 401, 403, 404) and unexpected client-side errors are not.
    /// </summary>
    /// <value>By default, derived from <see cref="StatusCode"/>: <see langword="true"/> when no response arrived.</value>
    public bool IsTransient
    {
        get => _isTransient ?? (StatusCode is null || IsTransientStatus(StatusCode.Value));
        init => _isTransient = value;
    }

    private readonly bool? _isTransient;

    internal static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests ||
        ((int)status >= 500 && status != HttpStatusCode.NotImplemented && status != HttpStatusCode.HttpVersionNotSupported);
}
