namespace PresenceKeepAlive.Orleans.Grains;

/// <summary>What a session grain keeps in grain storage: the state the application asked for, so that it survives the silo that held it.</summary>
[GenerateSerializer]
[Alias("pka.SessionRecord")]
internal sealed class SessionRecord
{
    /// <summary>Gets or sets what the application wants: nothing yet, a state kept alive, or signed off.</summary>
    [Id(0)]
    public SessionDesire Desire { get; set; }

    [Id(1)]
    public string? Availability { get; set; }

    [Id(2)]
    public string? Activity { get; set; }

    /// <summary>Gets or sets the number of the latest desire (each set or clear adds one).</summary>
    [Id(3)]
    public long Version { get; set; }

    /// <summary>Gets or sets when the service first accepted the current desire, or <see langword="null"/> while it has not (a holder that takes it over then sends it at once).</summary>
    [Id(4)]
    public DateTimeOffset? AcceptedAt { get; set; }

    /// <summary>Gets or sets whether the session's bucket lists it (so that its bucket's reminder wakes it).</summary>
    [Id(5)]
    public bool InBucket { get; set; }

    /// <summary>
    /// Gets or sets whether a sign-off was asked for and not yet confirmed by the service: a holder that takes the session
    /// over sends it (the bucket keeps listing the session until then).
    /// </summary>
    [Id(6)]
    public bool ClearPending { get; set; }
}

/// <summary>What the application wants of a session.</summary>
internal enum SessionDesire
{
    /// <summary>Nothing yet (or the session was disposed).</summary>
    None = 0,

    /// <summary>A state, kept alive.</summary>
    Wanted = 1,

    /// <summary>Signed off.</summary>
    Cleared = 2,
}

/// <summary>What a bucket grain keeps: the sessions of its registration that hash to it and want a state kept.</summary>
[GenerateSerializer]
[Alias("pka.BucketRecord")]
internal sealed class BucketRecord
{
    [Id(0)]
    public HashSet<string> Users { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>A session as its grain sees it, with the outcome of the call that returned it.</summary>
[GenerateSerializer]
[Immutable]
[Alias("pka.SessionSnapshot")]
internal sealed class SessionSnapshot
{
    [Id(0)]
    public int Status { get; init; }

    [Id(1)]
    public string? Availability { get; init; }

    [Id(2)]
    public string? Activity { get; init; }

    [Id(3)]
    public DateTimeOffset? LastConfirmedAt { get; init; }

    [Id(4)]
    public DateTimeOffset? NextRefreshAt { get; init; }

    /// <summary>Gets the session's last failure (<see cref="IPresenceSession.LastError"/>).</summary>
    [Id(5)]
    public WireFailure? LastError { get; init; }

    /// <summary>Gets the failure of the call that returned this snapshot, or <see langword="null"/> when it succeeded.</summary>
    [Id(6)]
    public WireFailure? Failure { get; init; }

    [Id(7)]
    public string? SeenAvailability { get; init; }

    [Id(8)]
    public string? SeenActivity { get; init; }

    [Id(9)]
    public DateTimeOffset? SeenAt { get; init; }

    /// <summary>Gets the mismatch reason (<see cref="PresenceMaskReason"/>) as a number, or -1 for none.</summary>
    [Id(10)]
    public int MismatchReason { get; init; } = -1;

    [Id(11)]
    public DateTimeOffset? MismatchSince { get; init; }

    /// <summary>Gets the silo that holds the session (diagnostics).</summary>
    [Id(12)]
    public string? Silo { get; init; }

    /// <summary>Gets the number of the latest desire.</summary>
    [Id(13)]
    public long Version { get; init; }
}

/// <summary>A failure carried from a silo to the caller, rebuilt there as the exception the one-process library throws.</summary>
[GenerateSerializer]
[Immutable]
[Alias("pka.WireFailure")]
internal sealed class WireFailure
{
    [Id(0)]
    public WireFailureKind Kind { get; init; }

    [Id(1)]
    public string Message { get; init; } = string.Empty;

    [Id(2)]
    public int? StatusCode { get; init; }

    [Id(3)]
    public string? ErrorCode { get; init; }

    [Id(4)]
    public string? ServiceMessage { get; init; }

    [Id(5)]
    public TimeSpan? RetryAfter { get; init; }

    [Id(6)]
    public string? Operation { get; init; }

    [Id(7)]
    public bool IsTransient { get; init; }

    [Id(8)]
    public string? ParamName { get; init; }

    [Id(9)]
    public string? RequestId { get; init; }
}

/// <summary>Which exception a <see cref="WireFailure"/> stands for.</summary>
internal enum WireFailureKind
{
    Request = 0,
    Argument = 1,
    ArgumentOutOfRange = 2,
    Disposed = 3,
    Canceled = 4,

    /// <summary>The silo that held the session is stopping: the desired state is recorded; the call is worth repeating (it reaches the next holder).</summary>
    Moving = 5,
}

/// <summary>A user-level one-shot request (preferred presence, status message) carried to the silo.</summary>
[GenerateSerializer]
[Immutable]
[Alias("pka.OneShotRequest")]
internal sealed class OneShotRequest
{
    [Id(0)]
    public OneShotKind Kind { get; init; }

    [Id(1)]
    public string? Availability { get; init; }

    [Id(2)]
    public string? Activity { get; init; }

    [Id(3)]
    public TimeSpan? Expiration { get; init; }

    [Id(4)]
    public string? Text { get; init; }

    [Id(5)]
    public DateTimeOffset? ExpiresAt { get; init; }
}

internal enum OneShotKind
{
    SetPreferredPresence = 0,
    ClearPreferredPresence = 1,
    SetStatusMessage = 2,
    ClearStatusMessage = 3,
}

/// <summary>What others see for one user (<c>getPresencesByUserId</c>), carried to the caller.</summary>
[GenerateSerializer]
[Immutable]
[Alias("pka.WireSeen")]
internal sealed class WireSeen
{
    [Id(0)]
    public string UserId { get; init; } = string.Empty;

    [Id(1)]
    public string Availability { get; init; } = string.Empty;

    [Id(2)]
    public string Activity { get; init; } = string.Empty;

    [Id(3)]
    public DateTimeOffset ReadAt { get; init; }
}

/// <summary>The answer to a manager-level read: the readings, or the failure.</summary>
[GenerateSerializer]
[Immutable]
[Alias("pka.WireReadings")]
internal sealed class WireReadings
{
    [Id(0)]
    public List<WireSeen> Readings { get; init; } = [];

    [Id(1)]
    public WireFailure? Failure { get; init; }
}
