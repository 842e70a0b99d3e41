using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// The retry pipeline of one HTTP send, outermost first: a cap on the whole send, retries of transient failures
/// (408, 429, 5xx, network errors, attempt timeouts) with exponential backoff and jitter or exactly the
/// <c>Retry-After</c> Graph asked for, and a timeout per attempt. Every delay runs on the given <see cref="TimeProvider"/>.
/// </summary>
internal static class PresenceResiliencePipeline
{
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

    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, TimeSpan maxDelay, TimeSpan totalTimeout, TimeSpan attemptTimeout, TimeProvider timeProvider)
    {
        if (outcome.Exception is not null)
        {
            return outcome.Exception is HttpRequestException or TimeoutRejectedException;
        }

        var response = outcome.Result!;
        if (!PresenceRequestException.IsTransientStatus(response.StatusCode))
        {
            return false;
        }

        // A Retry-After longer than we would ever wait inside one send goes back to the caller (and the session's
        // scheduler) rather than being cut short: retrying early only spends more of the rate budget.
        if (RetryAfterOf(response, timeProvider) is not { } wait)
        {
            return true;
        }

        if (wait > maxDelay)
        {
            return false;
        }

        // A wait that leaves the retried attempt less than its own timeout inside the total is not started: the caller
        // then gets Graph's answer with its Retry-After instead of a timeout that lost both.
        var started = PresenceSendScope.Started;
        return started == 0 || timeProvider.GetElapsedTime(started) + wait + attemptTimeout <= totalTimeout;
    }

    private static TimeSpan? RetryAfter(Outcome<HttpResponseMessage> outcome, TimeProvider timeProvider) =>
        outcome.Result is { } response ? RetryAfterOf(response, timeProvider) : null;

    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response, TimeProvider timeProvider)
    {
        var header = response.Headers.RetryAfter;
        if (header is null)
        {
            return null;
        }

        if (header.Delta is { } delta)
        {
            return delta;
        }

        if (header.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return GraphErrorTranslator.ParseRetryAfter(header.ToString(), timeProvider);
    }
}
