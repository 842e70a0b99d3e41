using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>
/// Runs before every Graph endpoint (paths under <c>/v1.0</c> and <c>/beta</c>): request ids, counters,
/// bearer-token check, throttling and fault injection, in that order.
/// </summary>
internal sealed class GraphMiddleware(EmulatorCore core, ILogger logger)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!IsGraphPath(request.Path))
        {
            await next(context);
            return;
        }

        var operation = context.GetEndpoint()?.Metadata.GetMetadata<OperationMetadata>()?.Operation ?? EmulatorOperation.Unknown;
        var requestId = Guid.NewGuid().ToString();
        var clientRequestId = request.Headers["client-request-id"].ToString();
        if (clientRequestId.Length == 0)
        {
            clientRequestId = requestId;
        }

        var info = new GraphRequestInfo(requestId, clientRequestId, operation);
        context.Features.Set(info);
        context.Response.Headers["request-id"] = requestId;
        context.Response.Headers["client-request-id"] = clientRequestId;
        core.Counters.CountRequest(operation);

        var token = ReadBearerToken(request.Headers.Authorization.ToString());
        if (token is null && core.Options.RequireBearerToken)
        {
            core.Counters.CountUnauthorized();
            Log.Unauthorized(logger, operation, request.Path.Value ?? string.Empty);
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await GraphResponses.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "InvalidAuthenticationToken", "Access token is empty.", core.Clock.Now);
            return;
        }

        (info.AppKey, info.Tenant) = core.Identity.CallerFor(token);
        var now = core.Clock.Now;

        // Graph's presence budget is per app per tenant: each (app, tenant) has a bucket of its own.
        if (core.Throttler is { } throttler && !throttler.TryAcquire(Throttler.KeyFor(info.AppKey, info.Tenant), now, out var wait))
        {
            core.Counters.CountThrottled();
            // The tolerance keeps floating-point dust (6.0000001 s) from turning into an extra second.
            var seconds = Math.Max(1, (long)Math.Ceiling(core.Clock.ToReal(wait).TotalSeconds - 0.000_001));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            Log.Throttled(logger, info.AppKey, operation, seconds);
            await GraphResponses.WriteErrorAsync(
                context,
                StatusCodes.Status429TooManyRequests,
                "TooManyRequests",
                $"Too many requests from this application{(info.Tenant.Length == 0 ? string.Empty : " in tenant " + info.Tenant)}. Limit {core.Options.ThrottleLimit} per {core.Options.ThrottleWindow}; retry after {seconds.ToString(CultureInfo.InvariantCulture)} seconds.",
                now);
            return;
        }

        if (core.Faults.Match(operation, request.Path.Value ?? string.Empty, now, info.Tenant) is { } fault)
        {
            Log.FaultInjected(logger, operation, request.Path.Value ?? string.Empty, fault.StatusCode, fault.DropConnection, fault.Delay);
            if (!await ApplyFaultAsync(context, fault))
            {
                return;
            }
        }

        await next(context);
    }

    private static bool IsGraphPath(PathString path) =>
        path.StartsWithSegments("/v1.0", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/beta", StringComparison.OrdinalIgnoreCase);

    private static string? ReadBearerToken(string header)
    {
        const string Scheme = "Bearer ";
        if (header.Length <= Scheme.Length || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header.AsSpan(Scheme.Length).Trim();
        return token.IsEmpty ? null : token.ToString();
    }

    /// <summary>Applies a fault; returns whether the request should still be served normally.</summary>
    private async Task<bool> ApplyFaultAsync(HttpContext context, FaultRule fault)
    {
        if (fault.Delay is { } delay && delay > TimeSpan.Zero)
        {
            using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, core.Stopping);

            // The timer is armed before the fault is counted, so a test that waits for the counter and then
            // advances a fake clock cannot advance it too early.
            var delayed = Task.Delay(delay, core.Clock.TimeProvider, cancellation.Token);
            core.Counters.CountFault();
            try
            {
                await delayed;
            }
            catch (OperationCanceledException)
            {
                context.Abort();
                return false;
            }
        }
        else
        {
            core.Counters.CountFault();
        }

        if (fault.DropConnection)
        {
            context.Abort();
            return false;
        }

        if (fault.StatusCode is not { } status)
        {
            return true;
        }

        if (fault.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        await GraphResponses.WriteErrorAsync(
            context,
            status,
            fault.ErrorCode ?? GraphResponses.CodeFor(status),
            "Injected fault from the presence emulator.",
            core.Clock.Now);
        return false;
    }
}
