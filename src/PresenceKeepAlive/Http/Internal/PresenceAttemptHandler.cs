using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// The innermost handler of the named client, just before the primary handler, so that it runs once for every HTTP
/// attempt that would leave the process: each Polly retry and each redirect re-send included. It lets the attempt pass
/// the app's <see cref="RequestGate"/> (through the send's <see cref="SendTicket"/>, or directly for a request made
/// outside any session), refuses it with <see cref="RateBudgetRefusedException"/> when the budget has no place, and
/// counts it in <c>presencekeepalive.requests</c> with its operation and outcome.
/// </summary>
internal sealed class PresenceAttemptHandler : DelegatingHandler
{
    /// <summary>The outcome counted for a 2xx answer.</summary>
    public const string SuccessOutcome = "success";

    /// <summary>The outcome counted for an attempt that failed on the network (no answer).</summary>
    public const string NetworkOutcome = "network";

    /// <summary>The outcome counted for an attempt cut by the attempt or total timeout.</summary>
    public const string TimeoutOutcome = "timeout";

    /// <summary>The outcome counted for an attempt its caller cancelled.</summary>
    public const string CancelledOutcome = "cancelled";

    /// <summary>The outcome counted for an attempt that failed locally in some other way.</summary>
    public const string ErrorOutcome = "error";

    private readonly RequestGate _gate;
    private readonly PresenceKeepAliveMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Initializes the handler.</summary>
    /// <param name="gate">The app's gate, for requests sent outside any session.</param>
    /// <param name="metrics">The library's instruments.</param>
    /// <param name="timeProvider">The clock attempt durations are measured on.</param>
    /// <param name="logger">The logger.</param>
    public PresenceAttemptHandler(RequestGate gate, PresenceKeepAliveMetrics metrics, TimeProvider timeProvider, ILogger<PresenceAttemptHandler> logger)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _gate = gate;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <inheritdoc/>
    /// <exception cref="RateBudgetRefusedException">The app's rate budget had no place for this attempt; nothing was sent.</exception>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var operation = Enter(request);
        var started = _timeProvider.GetTimestamp();
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            Record(operation, OutcomeOf(response.StatusCode), started);
            return response;
        }
        catch (Exception ex)
        {
            Record(operation, OutcomeOf(ex, operation), started);
            throw;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="RateBudgetRefusedException">The app's rate budget had no place for this attempt; nothing was sent.</exception>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // The synchronous path must not be a way around the gate.
        var operation = Enter(request);
        var started = _timeProvider.GetTimestamp();
        try
        {
            var response = base.Send(request, cancellationToken);
            Record(operation, OutcomeOf(response.StatusCode), started);
            return response;
        }
        catch (Exception ex)
        {
            Record(operation, OutcomeOf(ex, operation), started);
            throw;
        }
    }

    /// <summary>Returns the outcome counted for an answer with <paramref name="status"/>: <c>success</c> for 2xx, the status code otherwise.</summary>
    internal static string OutcomeOf(HttpStatusCode status) =>
        (int)status is >= 200 and < 300 ? SuccessOutcome : ((int)status).ToString(CultureInfo.InvariantCulture);

    private static string OutcomeOf(Exception exception, PresenceOperationScope.Operation? operation) => exception switch
    {
        HttpRequestException => NetworkOutcome,

        // The token below the pipeline is the caller's linked with Polly's timeouts: the caller's own token says which.
        OperationCanceledException when operation is null || operation.CallerToken.IsCancellationRequested => CancelledOutcome,
        OperationCanceledException or TimeoutException => TimeoutOutcome,
        _ => ErrorOutcome,
    };

    private PresenceOperationScope.Operation? Enter(HttpRequestMessage request)
    {
        var operation = PresenceOperationScope.Current;
        var ticket = PresenceSendScope.Current;
        var isRetry = ticket is { Attempts: > 0 };
        var entered = ticket?.TryEnterAttempt() ?? _gate.TryEnter(reserved: false);
        if (!entered)
        {
            var name = operation?.Name ?? PresenceOperationScope.OtherOperation;
            Log.HttpAttemptRefused(_logger, name, request.Method.Method, isRetry);
            throw new RateBudgetRefusedException(
                $"{name} was not sent: the rate budget of this app registration and tenant ({_gate.LimitPerWindow} requests per {_gate.Window:c}) " +
                $"had no place for {(isRetry ? "a retry" : "the request")} now.")
            {
                WasRetry = isRetry,
            };
        }

        return operation;
    }

    private void Record(PresenceOperationScope.Operation? operation, string outcome, long started) =>
        _metrics.RequestCompleted(operation?.Name ?? PresenceOperationScope.OtherOperation, outcome, _timeProvider.GetElapsedTime(started));
}
