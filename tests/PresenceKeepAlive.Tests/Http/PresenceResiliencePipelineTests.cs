using PresenceKeepAlive.Protocol.Internal;
using System.Net;
using System.Net.Http.Headers;
using PresenceKeepAlive.Tests.Protocol;
using RichardSzalay.MockHttp;

namespace PresenceKeepAlive.Tests.Http;

/// <summary>Retries and timeouts of the real pipeline (Polly policy, then Graph's handlers), on the fake clock.</summary>
public class PresenceResiliencePipelineTests
{
    private static readonly TimeSpan RetryMaxDelay = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(20);

    [Test]
    public async Task SetPresenceAsync_429WithRetryAfterSeconds_IsNotRetriedInsideTheSendAndSurfacesItsRetryAfter()
    {
        // Throttling is handled in one place, the session's scheduler: Polly never retries a 429.
        using var host = CreateSut(o => o.MaxRetryAttempts = 3);
        host.RespondInTurn(_ => Throttled(TimeSpan.FromSeconds(7)), _ => new HttpResponseMessage(HttpStatusCode.OK));

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(ex.IsTransient, Is.True);
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(7)));
            Assert.That(host.Requests.Count, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task SetPresenceAsync_429WithRetryAfterHttpDate_SurfacesTheTimeUntilThatDate()
    {
        using var host = CreateSut();
        var until = host.Time.GetUtcNow().AddSeconds(9);
        host.RespondInTurn(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
            response.Headers.RetryAfter = new RetryConditionHeaderValue(until);
            return response;
        });

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(9)));
        Assert.That(host.Requests.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task SetPresenceAsync_429WithDecimalRetryAfter_SurfacesNoRetryAfterRatherThanADate()
    {
        // DateTimeOffset.TryParse read "12.31" as 31 December: a 359-day wait.
        using var host = CreateSut();
        host.RespondInTurn(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
            response.Headers.TryAddWithoutValidation("Retry-After", "12.31");
            return response;
        });

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(ex.RetryAfter, Is.Null);
    }

    [Test]
    public async Task SetPresenceAsync_503WithRetryAfterHttpDate_WaitsUntilThatDate()
    {
        using var host = CreateSut();
        var until = host.Time.GetUtcNow().AddSeconds(9);
        host.RespondInTurn(
            _ =>
            {
                var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
                response.Headers.RetryAfter = new RetryConditionHeaderValue(until);
                return response;
            },
            _ => new HttpResponseMessage(HttpStatusCode.OK));

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        await AssertNextAttemptExactlyAfterAsync(host, TimeSpan.FromSeconds(9));
        await send;

        Assert.That(host.Requests.Count, Is.EqualTo(2));
    }

    [Test]
    public async Task SetPresenceAsync_429EveryTime_SendsOnceWhateverMaxRetryAttempts()
    {
        using var host = CreateSut(o => o.MaxRetryAttempts = 5);
        host.RespondAlways(HttpStatusCode.TooManyRequests);

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.BusyInACall, CancellationToken.None));

        Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(ex.IsTransient, Is.True);
        Assert.That(host.Requests.Count, Is.EqualTo(1));
    }

    [TestCase(HttpStatusCode.InternalServerError)]
    [TestCase(HttpStatusCode.BadGateway)]
    [TestCase(HttpStatusCode.ServiceUnavailable)]
    [TestCase(HttpStatusCode.GatewayTimeout)]
    [TestCase(HttpStatusCode.RequestTimeout)]
    public async Task SetPresenceAsync_TransientStatusEveryTime_RetriesMaxRetryAttemptsThenThrowsTransient(HttpStatusCode status)
    {
        const int maxRetries = 3;
        using var host = CreateSut(o => o.MaxRetryAttempts = maxRetries);
        host.RespondAlways(status);

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.BusyInACall, CancellationToken.None);
        for (var retry = 0; retry < maxRetries; retry++)
        {
            await host.NextRequestAsync();
            await host.AdvancePastRetryDelayAsync(RetryMaxDelay);
        }

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() => send);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.StatusCode, Is.EqualTo(status));
            Assert.That(ex.IsTransient, Is.True);
            Assert.That(ex.Operation, Is.EqualTo("setPresence"));
            Assert.That(ex.UserId, Is.EqualTo(GraphTestHost.UserId));
            // No second retry layer (Kiota's RetryHandler) inside each Polly attempt.
            Assert.That(host.Requests.Count, Is.EqualTo(maxRetries + 1));
        }
    }

    [Test]
    public async Task SetPresenceAsync_MaxRetryAttemptsZero_SendsOnceAndThrows()
    {
        using var host = CreateSut(o => o.MaxRetryAttempts = 0);
        host.RespondAlways(HttpStatusCode.ServiceUnavailable);

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(host.Requests.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task SetPresenceAsync_500Then200_SucceedsAfterOneBackoff()
    {
        using var host = CreateSut();
        host.RespondInTurn(_ => new HttpResponseMessage(HttpStatusCode.InternalServerError), _ => new HttpResponseMessage(HttpStatusCode.OK));

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Away, CancellationToken.None);
        await host.NextRequestAsync();
        var delay = await host.AdvancePastRetryDelayAsync(RetryMaxDelay);
        await send;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(delay, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(RetryMaxDelay));
            Assert.That(host.Requests.Count, Is.EqualTo(2));
            Assert.That(host.Requests.All[1].Body, Is.EqualTo(host.Requests.All[0].Body), "The retry must resend the same body.");
            Assert.That(host.Requests.All[1].Authorization, Is.EqualTo("Bearer " + GraphTestHost.Token));
        }
    }

    [TestCase(HttpStatusCode.BadRequest)]
    [TestCase(HttpStatusCode.Unauthorized)]
    [TestCase(HttpStatusCode.Forbidden)]
    [TestCase(HttpStatusCode.NotFound)]
    [TestCase(HttpStatusCode.Conflict)]
    [TestCase(HttpStatusCode.NotImplemented)]
    public async Task SetPresenceAsync_PermanentStatus_IsNotRetriedAndThrowsNonTransient(HttpStatusCode status)
    {
        using var host = CreateSut();
        host.RespondAlways(status);

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.StatusCode, Is.EqualTo(status));
            Assert.That(ex.IsTransient, Is.False);
            Assert.That(host.Requests.Count, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task SetPresenceAsync_NetworkFailureThenSuccess_IsRetried()
    {
        using var host = CreateSut();
        var calls = 0;
        host.Mock.When("*").Respond(request =>
        {
            host.Requests.Record(request);
            return Interlocked.Increment(ref calls) == 1
                ? throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused")
                : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        });

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        await host.AdvancePastRetryDelayAsync(RetryMaxDelay);
        await send;

        Assert.That(host.Requests.Count, Is.EqualTo(2));
    }

    [Test]
    public async Task SetPresenceAsync_NetworkFailureEveryTime_ThrowsTransientWithoutStatus()
    {
        using var host = CreateSut(o => o.MaxRetryAttempts = 1);
        host.Mock.When("*").Respond(request =>
        {
            host.Requests.Record(request);
            throw new HttpRequestException(HttpRequestError.NameResolutionError, "No such host");
        });

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        await host.AdvancePastRetryDelayAsync(RetryMaxDelay);
        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() => send);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.StatusCode, Is.Null);
            Assert.That(ex.IsTransient, Is.True);
            Assert.That(ex.InnerException, Is.InstanceOf<HttpRequestException>());
            Assert.That(host.Requests.Count, Is.EqualTo(2));
        }
    }

    [Test]
    public async Task SetPresenceAsync_AttemptNeverAnswers_IsCutByAttemptTimeoutAndRetried()
    {
        using var host = CreateSut();
        var never = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        host.Mock.When("*").Respond(request =>
        {
            host.Requests.Record(request);
            return Interlocked.Increment(ref calls) == 1 ? never.Task : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        });

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        await host.Time.WaitForTimerAsync(d => d == AttemptTimeout, GraphTestHost.Generous);

        host.Time.Advance(AttemptTimeout - TimeSpan.FromMilliseconds(100));
        Assert.That(send.IsCompleted, Is.False, "The attempt ended before its timeout.");
        host.Time.Advance(TimeSpan.FromMilliseconds(100));
        await host.AdvancePastRetryDelayAsync(RetryMaxDelay);
        await host.NextRequestAsync();
        await send;

        Assert.That(host.Requests.Count, Is.EqualTo(2));
    }

    [Test]
    public async Task SetPresenceAsync_NoAttemptEverAnswers_ThrowsTransientTimeoutWithoutStatus()
    {
        using var host = CreateSut(o => o.MaxRetryAttempts = 1);
        host.RespondNever();

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        await LetAttemptTimeOutThenRetryAsync(host);
        await host.Time.WaitForTimerAsync(d => d == AttemptTimeout, GraphTestHost.Generous);
        host.Time.Advance(AttemptTimeout);
        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() => send);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.StatusCode, Is.Null);
            Assert.That(ex.IsTransient, Is.True);
            Assert.That(ex.Message, Does.Contain("timed out"));
            Assert.That(host.Requests.Count, Is.EqualTo(2));
        }
    }

    [Test]
    public async Task SetPresenceAsync_503RetryAfterLongerThanRetryMaxDelay_IsNotRetriedAndSurfacesRetryAfter()
    {
        using var host = CreateSut();
        host.RespondInTurn(_ => Unavailable(TimeSpan.FromSeconds(120)));

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(ex.IsTransient, Is.True);
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(120)));
            Assert.That(host.Requests.Count, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task ClearPresenceAsync_503Then200_IsRetried()
    {
        using var host = CreateSut();
        host.RespondInTurn(_ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable), _ => new HttpResponseMessage(HttpStatusCode.OK));

        var send = host.Protocol.ClearPresenceAsync(GraphTestHost.UserId, CancellationToken.None);
        await host.NextRequestAsync();
        await host.AdvancePastRetryDelayAsync(RetryMaxDelay);
        await send;

        Assert.That(host.Requests.Count, Is.EqualTo(2));
        GraphPresenceProtocolRequestTests.AssertRequest(
            host.Requests.Last, HttpMethod.Post, GraphTestHost.ClearPresenceUri(), new System.Text.Json.Nodes.JsonObject { ["sessionId"] = GraphTestHost.ClientId });
    }

    [Test]
    public async Task SetPresenceAsync_503WithRetryAfter_WaitsExactlyRetryAfter()
    {
        using var host = CreateSut();
        host.RespondInTurn(
            _ =>
            {
                var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
                response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(4));
                return response;
            },
            _ => new HttpResponseMessage(HttpStatusCode.OK));

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        await AssertNextAttemptExactlyAfterAsync(host, TimeSpan.FromSeconds(4));
        await send;

        Assert.That(host.Requests.Count, Is.EqualTo(2));
    }

    [Test]
    public async Task SetPresenceAsync_AttemptsNeverAnswer_TotalRequestTimeoutCapsTheWholeSend()
    {
        var total = TimeSpan.FromSeconds(30);
        using var host = CreateSut(o =>
        {
            o.MaxRetryAttempts = 10;
            o.TotalRequestTimeout = total;
        });
        host.RespondNever();

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        var delay = await LetAttemptTimeOutThenRetryAsync(host);
        await host.Time.WaitForTimerAsync(d => d == AttemptTimeout, GraphTestHost.Generous);
        host.Time.Advance(total - AttemptTimeout - delay);

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() => send);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.IsTransient, Is.True);
            Assert.That(ex.StatusCode, Is.Null);
            Assert.That(host.Requests.Count, Is.EqualTo(2));
        }
    }

    [Test]
    public async Task SetPresenceAsync_CallerCancelsDuringRetryDelay_ThrowsOperationCanceledAndSendsNoMore()
    {
        using var host = CreateSut();
        host.RespondAlways(HttpStatusCode.ServiceUnavailable);
        using var cts = new CancellationTokenSource();

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, cts.Token);
        await host.NextRequestAsync();
        var delay = await host.Time.WaitForTimerAsync(d => d > TimeSpan.Zero && d <= RetryMaxDelay, GraphTestHost.Generous);
        await cts.CancelAsync();

        Assert.That(async () => await send, Throws.InstanceOf<OperationCanceledException>());
        host.Time.Advance(delay);
        Assert.That(await host.Requests.WaitAsync(GraphTestHost.Short), Is.False, "A retry was sent after the caller cancelled.");
    }

    private static GraphTestHost CreateSut(Action<PresenceKeepAliveOptions>? configure = null) =>
        GraphTestHost.Create(o =>
        {
            o.RetryBaseDelay = TimeSpan.FromSeconds(1);
            o.RetryMaxDelay = RetryMaxDelay;
            o.AttemptTimeout = AttemptTimeout;
            o.TotalRequestTimeout = TimeSpan.FromMinutes(10);
            configure?.Invoke(o);
        });

    [Test]
    public async Task SetPresenceAsync_503RetryAfterWouldOverrunTotalTimeout_SurfacesThe503WithItsRetryAfter()
    {
        using var host = CreateSut(o =>
        {
            o.MaxRetryAttempts = 3;
            o.RetryMaxDelay = TimeSpan.FromSeconds(30);
            o.AttemptTimeout = TimeSpan.FromSeconds(5);
            o.TotalRequestTimeout = TimeSpan.FromSeconds(60);
        });
        host.RespondInTurn(_ => Unavailable(TimeSpan.FromSeconds(25)));

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        await AssertNextAttemptExactlyAfterAsync(host, TimeSpan.FromSeconds(25));
        await AssertNextAttemptExactlyAfterAsync(host, TimeSpan.FromSeconds(25));

        // At 50 s a third 25 s wait plus the next attempt's 5 s would end past the 60 s total: Graph's answer goes back
        // instead of a timeout that lost it.
        var error = await Assert.ThrowsAsync<PresenceRequestException>(() => send.WaitAsync(GraphTestHost.Generous));
        Assert.Multiple(() =>
        {
            Assert.That(error!.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(error.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(25)));
            Assert.That(host.Requests.Count, Is.EqualTo(3));
        });
    }

    private static HttpResponseMessage Unavailable(TimeSpan retryAfter)
    {
        var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(retryAfter);
        return response;
    }

    private static HttpResponseMessage Throttled(TimeSpan retryAfter)
    {
        var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(retryAfter);
        return response;
    }

    /// <summary>Waits for the retry delay to be scheduled, then proves no attempt comes 0.1 s early and one comes right on time.</summary>
    private static async Task AssertNextAttemptExactlyAfterAsync(GraphTestHost host, TimeSpan wait)
    {
        await host.Time.WaitForTimerAsync(d => d == wait, GraphTestHost.Generous);
        host.Time.Advance(wait - TimeSpan.FromSeconds(0.1));
        Assert.That(await host.Requests.WaitAsync(GraphTestHost.Short), Is.False, $"Retried before the {wait} Retry-After elapsed.");
        host.Time.Advance(TimeSpan.FromSeconds(0.1));
        await host.NextRequestAsync();
    }

    /// <summary>Lets the attempt in flight hit AttemptTimeout, skips the retry delay, and waits for the next attempt.</summary>
    private static async Task<TimeSpan> LetAttemptTimeOutThenRetryAsync(GraphTestHost host)
    {
        await host.Time.WaitForTimerAsync(d => d == AttemptTimeout, GraphTestHost.Generous);
        host.Time.Advance(AttemptTimeout);
        var delay = await host.AdvancePastRetryDelayAsync(RetryMaxDelay);
        await host.NextRequestAsync();
        return delay;
    }
}
