using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// The resilience pipeline of one HTTP send, outermost first: a cap on the whole send, retries of transient failures
/// (408, 5xx, network errors, attempt timeouts; never 429, which goes back to the session and its scheduler) with
/// exponential backoff and jitter or exactly the <c>Retry-After</c> Graph asked for, and a timeout per attempt. Every
/// delay runs on the given <see cref="TimeProvider"/>; every attempt, retries included, passes the rate budget in
/// <see cref="PresenceAttemptHandler"/> below.
/// </summary>
internal static class PresenceResiliencePipeline
{
    /// <summary>Builds the pipeline from <paramref name="options"/>.</summary>
    /// <param name="options">MaxRetryAttempts, RetryBaseDelay, RetryMaxDelay, AttemptTimeout and TotalRequestTimeout.</param>
    /// <param name="timeProvider">The clock every delay and timeout runs on.</param>
    /// <param name="logger">Logs each retry (Debug).</param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static ResiliencePipeline<HttpResponseMessage> Create(PresenceKeepAliveOptions options, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);

        var retry = new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = options.MaxRetryAttempts,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryBaseDelay,
            MaxDelay = options.RetryMaxDelay,
            ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, options.RetryMaxDelay, options.TotalRequestTimeout, options.AttemptTimeout, timeProvider)),
            DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome, timeProvider)),
            OnRetry = args =>
            {
                Log.HttpRetry(
                    logger,
                    args.AttemptNumber + 1,
                    args.Outcome.Result is { } r ? ((int)r.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) : args.Outcome.Exception?.GetType().Name ?? "unknown",
                    args.RetryDelay.TotalMilliseconds);

                // The response being retried is never read: release its connection now.
                args.Outcome.Result?.Dispose();
                return default;
            },
        };

        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider };
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddTimeout(options.TotalRequestTimeout).AddRetry(retry);
        }
        else
        {
            builder.AddTimeout(options.TotalRequestTimeout);
        }

        return builder.AddTimeout(options.AttemptTimeout).Build();
    }

    /// <summary>
    /// Decides whether the attempt that ended with <paramref name="outcome"/> is retried within its send: 408, 5xx,
    /// network failures and attempt timeouts are, unless the send's ticket forbids retries (the whole fleet is failing);
    /// a 429 never is (throttling is the scheduler's to handle, with its Retry-After), nor is an attempt the rate budget
    /// refused. A Retry-After the send cannot honour within its limits goes back to the caller instead.
    /// </summary>
    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, TimeSpan maxDelay, TimeSpan totalTimeout, TimeSpan attemptTimeout, TimeProvider timeProvider)
    {
        if (PresenceSendScope.Current is { RetriesAllowed: false })
        {
            return false;
        }

        if (outcome.Exception is not null)
        {
            return outcome.Exception is HttpRequestException or TimeoutRejectedException;
        }

        var response = outcome.Result!;
        if (response.StatusCode == HttpStatusCode.TooManyRequests || !PresenceRequestException.IsTransientStatus(response.StatusCode))
        {
            return false;
        }

        // A Retry-After longer than we would ever wait inside one send goes back to the caller (and the session's
        // scheduler) rather than being cut short: retrying early only spends more of the rate budget.
        if (RetryAfterHeader.Of(response, timeProvider) is not { } wait)
        {
            return true;
        }

        if (wait > maxDelay)
        {
            return false;
        }

        // A wait that leaves the retried attempt less than its own timeout inside the total is not started: the caller
        // then gets Graph's answer with its Retry-After instead of a timeout that lost both.
        // The protocol's start is the latest known instant before the total timeout began; the ticket's is earlier still.
        var started = PresenceOperationScope.Current?.Started ?? PresenceSendScope.Started;
        return started == 0 || timeProvider.GetElapsedTime(started) + wait + attemptTimeout <= totalTimeout;
    }

    private static TimeSpan? RetryAfter(Outcome<HttpResponseMessage> outcome, TimeProvider timeProvider) =>
        outcome.Result is { } response ? RetryAfterHeader.Of(response, timeProvider) : null;
}
