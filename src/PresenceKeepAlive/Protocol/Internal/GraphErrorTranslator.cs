using System.Net;
using Azure.Identity;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Polly.Timeout;
using PresenceKeepAlive.Http.Internal;

namespace PresenceKeepAlive.Protocol.Internal;

/// <summary>Turns whatever a send threw into the one <see cref="PresenceRequestException"/>.</summary>
internal static class GraphErrorTranslator
{
    /// <summary>Translates <paramref name="exception"/>, thrown by a send of <paramref name="operation"/> for <paramref name="userId"/>.</summary>
    /// <param name="exception">What the send threw.</param>
    /// <param name="operation">The operation (setPresence, clearPresence, patchPresence).</param>
    /// <param name="userId">The user.</param>
    /// <param name="timeProvider">The clock a Retry-After date is measured against.</param>
    /// <returns>The exception to throw: <paramref name="exception"/> itself when it already is one.</returns>
    public static PresenceRequestException Translate(Exception exception, string operation, string userId, TimeProvider timeProvider)
    {
        switch (exception)
        {
            case PresenceRequestException already:
                return already;

            case ApiException api when api.ResponseStatusCode > 0:
            {
                var status = (HttpStatusCode)api.ResponseStatusCode;
                var odata = api as ODataError;
                var code = odata?.Error?.Code;
                var serviceMessage = odata?.Error?.Message;
                var requestId = odata?.Error?.InnerError?.RequestId ?? Header(api, "request-id");
                var clientRequestId = odata?.Error?.InnerError?.ClientRequestId ?? Header(api, "client-request-id");
                var retryAfter = RetryAfterHeader.Parse(Header(api, RetryAfterHeader.Name), timeProvider);
                return new PresenceRequestException(
                    DescribeStatus(operation, userId, status, code, serviceMessage, requestId, retryAfter), api)
                {
                    StatusCode = status,
                    ErrorCode = code,
                    ServiceMessage = serviceMessage,
                    RequestId = requestId,
                    ClientRequestId = clientRequestId,
                    RetryAfter = retryAfter,
                    Operation = operation,
                    UserId = userId,
                };
            }

            case RateBudgetRefusedException refused:
                // Nothing was sent: the app's budget was full. Not Graph's doing, and not an error of the request.
                return new PresenceRequestException(
                    $"{operation} for user '{userId}' was not sent: the rate budget of this app registration and tenant had no place for " +
                    $"{(refused.WasRetry ? "a retry within the send" : "the request")} (no more than RateLimitPerWindow requests leave in any RateLimitWindow). " +
                    "The request is transient; the session retries it when the budget has room.", refused)
                {
                    Operation = operation,
                    UserId = userId,
                    IsTransient = true,
                };

            case TimeoutRejectedException or TimeoutException or OperationCanceledException:
                return new PresenceRequestException(
                    $"{operation} for user '{userId}' timed out before Graph answered. The request is transient and will be retried.", exception)
                {
                    Operation = operation,
                    UserId = userId,
                };

            case AuthenticationFailedException or CredentialUnavailableException:
                // The token could not be had: the identity endpoint or the managed identity was unreachable, or refused
                // the credential. Transient, so that an identity-provider outage does not stop every session for good;
                // a wrong secret keeps failing and stays visible as Retrying/Lapsed with this message.
                return new PresenceRequestException(
                    $"{operation} for user '{userId}' could not get an access token: {EndSentence(exception.Message)} Check TenantId, ClientId and the credential; the request will be retried.", exception)
                {
                    Operation = operation,
                    UserId = userId,
                    IsTransient = true,
                };

            case HttpRequestException http:
                return new PresenceRequestException(
                    $"{operation} for user '{userId}' failed on the network ({http.HttpRequestError}): {EndSentence(http.Message)} The request is transient and will be retried.", http)
                {
                    Operation = operation,
                    UserId = userId,
                };

            default:
                // Not an answer from Graph and not the network: a local fault that retrying will not mend.
                return new PresenceRequestException(
                    $"{operation} for user '{userId}' failed: {exception.Message}", exception)
                {
                    Operation = operation,
                    UserId = userId,
                    IsTransient = false,
                };
        }
    }

    private static string? Header(ApiException api, string name)
    {
        foreach (var (key, values) in api.ResponseHeaders)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var v in values)
                {
                    return v;
                }
            }
        }

        return null;
    }

    private static string DescribeStatus(
        string operation, string userId, HttpStatusCode status, string? code, string? serviceMessage, string? requestId, TimeSpan? retryAfter)
    {
        var head = $"Graph answered {operation} for user '{userId}' with {(int)status} {status}" +
                   (code is null ? string.Empty : $" ({code})") +
                   (string.IsNullOrWhiteSpace(serviceMessage) ? "." : $": {serviceMessage}");
        var advice = status switch
        {
            HttpStatusCode.Forbidden =>
                " The app is not allowed to set this user's presence: app-only access needs the application permission Presence.ReadWrite.All with admin consent; delegated access needs Presence.ReadWrite and can only set the signed-in user's own presence.",
            HttpStatusCode.Unauthorized =>
                " The access token was missing or rejected: check TenantId, ClientId and the credential (secret, certificate or managed identity).",
            HttpStatusCode.NotFound =>
                " The user was not found in this tenant: check the object id or user principal name.",
            HttpStatusCode.BadRequest =>
                " The request was rejected as invalid and will not be retried.",
            HttpStatusCode.TooManyRequests =>
                retryAfter is { } wait ? $" Throttled: Graph asked to wait {wait.TotalSeconds:0.###} s." : " Throttled.",
            _ when PresenceRequestException.IsTransientStatus(status) => " The failure is transient and will be retried.",
            _ => string.Empty,
        };
        var id = requestId is null ? string.Empty : $" request-id: {requestId}.";
        return head + advice + id;
    }

    /// <summary>Ends <paramref name="message"/> with a full stop when it does not end a sentence already ("Connection refused (127.0.0.1:5080)").</summary>
    internal static string EndSentence(string message)
    {
        var trimmed = message.TrimEnd();
        return trimmed.Length == 0 || trimmed[^1] is '.' or '!' or '?' ? trimmed : trimmed + ".";
    }
}
