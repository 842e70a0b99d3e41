namespace PresenceKeepAlive.Emulator;

/// <summary>
/// A fault to inject into Graph requests (never into <c>/_emulator/</c> admin requests).
/// </summary>
/// <remarks>
/// <para>Effect: at least one of <see cref="StatusCode"/>, <see cref="DropConnection"/> or <see cref="Delay"/>.
/// The delay comes first; then the connection is dropped, or the status is answered with a Graph-shaped error,
/// or (delay only) the request is served normally.</para>
/// <para>Scope: the filters (<see cref="Operation"/>, <see cref="PathContains"/>, <see cref="TenantId"/>) and the window
/// (<see cref="From"/>, <see cref="Until"/>) must match, then <see cref="Probability"/> is drawn, then one of the
/// <see cref="Count"/> uses is taken. Unset scope properties do not restrict. Rules are tried in the order they were
/// added; the first that fires wins. Injected faults are applied after authentication and throttling.</para>
/// <para>Over the admin endpoint the rule is JSON with camelCase names, enums as strings and time spans as
/// <c>"hh:mm:ss"</c>, e.g. <c>{"statusCode":503,"count":2,"operation":"SetPresence"}</c>.</para>
/// </remarks>
public sealed record FaultRule
{
    /// <summary>Gets the HTTP status to answer (400 to 599), with a Graph-shaped error body.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Gets the Graph error code of the body; by default derived from <see cref="StatusCode"/> (503 gives <c>ServiceUnavailable</c>).</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Gets the <c>Retry-After</c> header sent with <see cref="StatusCode"/>, rounded up to whole seconds.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Gets whether to abort the connection without a response (the client sees a network error).</summary>
    public bool DropConnection { get; init; }

    /// <summary>Gets a delay before the response, in real time measured by <see cref="PresenceEmulatorOptions.TimeProvider"/> (not scaled).</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Gets the share of matching requests that get the fault, 0 to 1; unset means all.</summary>
    public double? Probability { get; init; }

    /// <summary>Gets how many requests get the fault before the rule is spent; unset means no limit.</summary>
    public int? Count { get; init; }

    /// <summary>Gets the emulated time from which the rule applies (inclusive); unset means always.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Gets the emulated time until which the rule applies (exclusive); unset means forever.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Gets the only operation the rule applies to; unset means all.</summary>
    public EmulatorOperation? Operation { get; init; }

    /// <summary>Gets a text the request path must contain (ordinal, case-insensitive); unset means all paths.</summary>
    public string? PathContains { get; init; }

    /// <summary>
    /// Gets the only tenant the rule applies to: the <c>tid</c> claim of the caller's token (case-insensitive), so that a
    /// test can revoke one tenant's consent or take one tenant down; unset means every tenant.
    /// </summary>
    public string? TenantId { get; init; }

    /// <summary>Checks that the rule is consistent.</summary>
    /// <exception cref="ArgumentException">The rule has no effect or a value out of range.</exception>
    public void Validate()
    {
        if (StatusCode is null && !DropConnection && Delay is null)
        {
            throw new ArgumentException("A fault rule needs StatusCode, DropConnection or Delay.");
        }

        if (StatusCode is { } status && (status < 400 || status > 599))
        {
            throw new ArgumentException($"StatusCode {status} must be between 400 and 599.");
        }

        if (Delay is { } delay && delay < TimeSpan.Zero)
        {
            throw new ArgumentException($"Delay {delay} must not be negative.");
        }

        if (RetryAfter is { } retryAfter && retryAfter < TimeSpan.Zero)
        {
            throw new ArgumentException($"RetryAfter {retryAfter} must not be negative.");
        }

        if (Probability is { } p && (double.IsNaN(p) || p < 0 || p > 1))
        {
            throw new ArgumentException($"Probability {p} must be between 0 and 1.");
        }

        if (Count is { } count && count < 1)
        {
            throw new ArgumentException($"Count {count} must be at least 1.");
        }

        if (From is { } from && Until is { } until && until <= from)
        {
            throw new ArgumentException($"Until {until:O} must be later than From {from:O}.");
        }
    }
}
