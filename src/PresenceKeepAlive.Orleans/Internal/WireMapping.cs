using System.Net;
using PresenceKeepAlive.Orleans.Grains;

namespace PresenceKeepAlive.Orleans.Internal;

/// <summary>Turns exceptions and sessions into wire types on the silo, and back into the library's exceptions at the caller.</summary>
internal static class WireMapping
{
    public static WireFailure ToWire(Exception error) => error switch
    {
        PresenceRequestException r => new WireFailure
        {
            Kind = WireFailureKind.Request,
            Message = r.Message,
            StatusCode = (int?)r.StatusCode,
            ErrorCode = r.ErrorCode,
            ServiceMessage = r.ServiceMessage,
            RetryAfter = r.RetryAfter,
            Operation = r.Operation,
            IsTransient = r.IsTransient,
            RequestId = r.RequestId,
        },
        ArgumentOutOfRangeException a => new WireFailure { Kind = WireFailureKind.ArgumentOutOfRange, Message = a.Message, ParamName = a.ParamName },
        ArgumentException a => new WireFailure { Kind = WireFailureKind.Argument, Message = a.Message, ParamName = a.ParamName },
        ObjectDisposedException d => new WireFailure { Kind = WireFailureKind.Disposed, Message = d.Message },
        OperationCanceledException c => new WireFailure { Kind = WireFailureKind.Canceled, Message = c.Message },
        _ => new WireFailure { Kind = WireFailureKind.Request, Message = error.Message, IsTransient = true },
    };

    public static Exception ToException(WireFailure failure, string userId) => failure.Kind switch
    {
        WireFailureKind.Argument => new ArgumentException(StripParam(failure.Message, failure.ParamName), failure.ParamName),
        WireFailureKind.ArgumentOutOfRange => new ArgumentOutOfRangeException(failure.ParamName, StripParam(failure.Message, failure.ParamName)),
        WireFailureKind.Disposed => new ObjectDisposedException(nameof(IPresenceSession), failure.Message),
        WireFailureKind.Canceled => new OperationCanceledException(failure.Message),
        _ => ToRequestException(failure, userId),
    };

    public static PresenceRequestException ToRequestException(WireFailure failure, string userId) => new(failure.Message)
    {
        StatusCode = (HttpStatusCode?)failure.StatusCode,
        ErrorCode = failure.ErrorCode,
        ServiceMessage = failure.ServiceMessage,
        RetryAfter = failure.RetryAfter,
        Operation = failure.Operation,
        IsTransient = failure.IsTransient,
        RequestId = failure.RequestId,
        UserId = userId,
    };

    public static SessionSnapshot Snapshot(IPresenceSession? local, SessionRecord record, string silo, WireFailure? failure = null)
    {
        var seen = local?.SeenPresence;
        var mismatch = local?.Mismatch;
        var wanted = record.Desire == SessionDesire.Wanted;
        return new SessionSnapshot
        {
            Status = (int)(local?.Status ?? (record.Desire == SessionDesire.Cleared ? PresenceSessionStatus.Cleared : PresenceSessionStatus.NotStarted)),
            Availability = wanted ? record.Availability : null,
            Activity = wanted ? record.Activity : null,
            LastConfirmedAt = local?.LastConfirmedAt ?? (wanted ? record.AcceptedAt : null),
            NextRefreshAt = local?.NextRefreshAt,
            LastError = local?.LastError is { } last ? ToWire(last) : null,
            Failure = failure,
            SeenAvailability = seen?.Availability,
            SeenActivity = seen?.Activity,
            SeenAt = seen?.ReadAt,
            MismatchReason = mismatch is null ? -1 : (int)mismatch.Reason,
            MismatchSince = mismatch?.Since,
            Silo = silo,
            Version = record.Version,
        };
    }

    // ArgumentException appends " (Parameter 'x')" to its message; rebuilding it must not append it twice.
    private static string StripParam(string message, string? param)
    {
        var suffix = param is null ? null : $" (Parameter '{param}')";
        return suffix is not null && message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }
}
