using PresenceKeepAlive.Protocol.Internal;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Tests.Http;
using RichardSzalay.MockHttp;

namespace PresenceKeepAlive.Tests.Protocol;

/// <summary>
/// The request counter and duration that dashboards and alerts are built on: one measurement per HTTP attempt that
/// left the process (each retry and redirect counted), by operation and outcome.
/// </summary>
public class GraphPresenceProtocolMetricsTests
{
    private const string RequestsInstrument = "presencekeepalive.requests";

    [Test]
    public async Task SetPresenceAsync_Success_CountsOneSuccessfulSetPresence()
    {
        using var host = CreateSut();
        using var requests = Collector(host);
        host.RespondAlways(HttpStatusCode.OK);

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);

        var measurement = requests.GetMeasurementSnapshot().Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(measurement.Value, Is.EqualTo(1));
            Assert.That(measurement.Tags["operation"], Is.EqualTo("setPresence"));
            Assert.That(measurement.Tags["outcome"], Is.EqualTo("success"));
        }
    }

    [Test]
    public async Task SetPresenceAsync_Forbidden_CountsOneRequestWithTheStatusAsOutcome()
    {
        using var host = CreateSut();
        using var requests = Collector(host);
        host.RespondAlways(HttpStatusCode.Forbidden);

        await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        var measurement = requests.GetMeasurementSnapshot().Single();
        Assert.That(measurement.Tags["operation"], Is.EqualTo("setPresence"));
        Assert.That(measurement.Tags["outcome"], Is.EqualTo("403"));
    }

    [Test]
    public async Task SetPresenceAsync_NetworkFailure_CountsNetworkOutcome()
    {
        using var host = CreateSut(o => o.MaxRetryAttempts = 0);
        using var requests = Collector(host);
        host.Mock.When("*").Throw(new HttpRequestException("Connection refused"));

        await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        Assert.That(requests.GetMeasurementSnapshot().Single().Tags["outcome"], Is.EqualTo("network"));
    }

    [Test]
    public async Task ClearPresenceAsync_NotFound_CountsTheAttemptWithItsStatus()
    {
        using var host = CreateSut();
        using var requests = Collector(host);
        host.RespondAlways(HttpStatusCode.NotFound);

        await host.Protocol.ClearPresenceAsync(GraphTestHost.UserId, CancellationToken.None);

        var measurement = requests.GetMeasurementSnapshot().Single();
        Assert.That(measurement.Tags["operation"], Is.EqualTo("clearPresence"));
        Assert.That(measurement.Tags["outcome"], Is.EqualTo("404"));
    }

    [Test]
    public async Task SetPresenceAsync_PatchProtocol_CountsPatchPresence()
    {
        using var host = CreateSut(o => o.Protocol = PresenceProtocol.Patch);
        using var requests = Collector(host);
        host.RespondAlways(HttpStatusCode.OK);

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Offline, CancellationToken.None);

        Assert.That(requests.GetMeasurementSnapshot().Single().Tags["operation"], Is.EqualTo("patchPresence"));
    }

    [Test]
    public async Task SetPresenceAsync_InvalidInput_RecordsNothing()
    {
        using var host = CreateSut();
        using var requests = Collector(host);
        host.RespondAlways(HttpStatusCode.OK);

        await Assert.ThrowsAsync<ArgumentException>(() => host.Protocol.SetPresenceAsync("noat", PresenceState.Available, CancellationToken.None));

        Assert.That(requests.GetMeasurementSnapshot(), Is.Empty);
    }

    [Test]
    public async Task SetPresenceAsync_OneSendWithTwoRetries_CountsThreeAttemptsWithTheirOutcomes()
    {
        using var host = CreateSut(o =>
        {
            o.MaxRetryAttempts = 3;
            o.RetryMaxDelay = TimeSpan.FromSeconds(10);
        });
        using var requests = Collector(host);
        var calls = 0;
        host.Mock.When("*").Respond(request =>
        {
            host.Requests.Record(request);
            return Interlocked.Increment(ref calls) switch
            {
                1 => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)),
                2 => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection reset"),
                _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)),
            };
        });

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        await host.AdvancePastRetryDelayAsync(TimeSpan.FromSeconds(10));
        await host.NextRequestAsync();
        await host.AdvancePastRetryDelayAsync(TimeSpan.FromSeconds(10));
        await send.WaitAsync(GraphTestHost.Generous);

        var measurements = requests.GetMeasurementSnapshot();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(measurements.Select(m => m.Tags["outcome"]), Is.EqualTo(new[] { "503", "network", "success" }));
            Assert.That(measurements.Select(m => m.Tags["operation"]), Is.All.EqualTo("setPresence"));
            Assert.That(measurements.Sum(m => m.Value), Is.EqualTo(3));
        }
    }

    [Test]
    public async Task SetPresenceAsync_AttemptNeverAnswers_CountsATimeout()
    {
        var attemptTimeout = TimeSpan.FromSeconds(20);
        using var host = CreateSut(o =>
        {
            o.MaxRetryAttempts = 0;
            o.AttemptTimeout = attemptTimeout;
        });
        using var requests = Collector(host);
        host.RespondNever();

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        await host.Time.WaitForTimerAsync(d => d == attemptTimeout, GraphTestHost.Generous);
        host.Time.Advance(attemptTimeout);
        await Assert.ThrowsAsync<PresenceRequestException>(() => send.WaitAsync(GraphTestHost.Generous));

        Assert.That(requests.GetMeasurementSnapshot().Single().Tags["outcome"], Is.EqualTo("timeout"));
    }

    [Test]
    public async Task SetPresenceAsync_CallerCancelsTheAttempt_CountsACancellationNotATimeout()
    {
        using var host = CreateSut();
        using var requests = Collector(host);
        host.RespondNever();
        using var cts = new CancellationTokenSource();

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, cts.Token);
        await host.NextRequestAsync();
        await cts.CancelAsync();
        Assert.That(async () => await send, Throws.InstanceOf<OperationCanceledException>());

        Assert.That(requests.GetMeasurementSnapshot().Single().Tags["outcome"], Is.EqualTo("cancelled"));
    }

    [Test]
    public async Task SetPresenceAsync_AttemptRefusedByTheBudget_IsNotCounted()
    {
        using var host = CreateSut(o => o.RateLimitPerWindow = 1);
        using var requests = Collector(host);
        host.RespondAlways(HttpStatusCode.OK);
        Assert.That(host.Provider.GetRequiredService<PresenceKeepAlive.KeepAlive.Internal.RequestGate>().TryEnter(reserved: false), Is.True);

        await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        Assert.That(requests.GetMeasurementSnapshot(), Is.Empty, "nothing left the process");
    }

    [Test]
    public async Task SetPresenceAsync_RetriedThenSuccessful_RecordsEachAttemptsDurationOnTheFakeClock()
    {
        using var host = CreateSut();
        using var requests = Collector(host);
        using var duration = new MetricCollector<double>(host.Provider.GetRequiredService<PresenceKeepAliveMetrics>().Meter, "presencekeepalive.request.duration");
        var calls = 0;
        host.Mock.When("*").Respond(async request =>
        {
            host.Requests.Record(request);
            if (Interlocked.Increment(ref calls) == 1)
            {
                var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(3));
                return response;
            }

            // The second attempt takes 2 s on the fake clock (never the wall clock) to answer.
            var answerTime = TimeSpan.FromSeconds(2);
            await Task.Delay(answerTime, host.Time);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        await host.Time.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(3), GraphTestHost.Generous);
        host.Time.Advance(TimeSpan.FromSeconds(3));
        await host.NextRequestAsync();
        await host.Time.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(2), GraphTestHost.Generous);
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await send.WaitAsync(GraphTestHost.Generous);

        var durations = duration.GetMeasurementSnapshot();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(requests.GetMeasurementSnapshot().Select(m => m.Tags["outcome"]), Is.EqualTo(new[] { "503", "success" }));
            Assert.That(durations.Select(m => m.Tags["outcome"]), Is.EqualTo(new[] { "503", "success" }));
            Assert.That(durations[0].Value, Is.EqualTo(0).Within(0.001), "the 503 came at once; the 3 s wait is not part of either attempt");
            Assert.That(durations[1].Value, Is.EqualTo(2).Within(0.001));
        }
    }

    [Test]
    public async Task Send_OutsideAnyPresenceOperation_CountsTheAttemptAsOther()
    {
        using var host = CreateSut();
        using var requests = Collector(host);
        host.RespondAlways(HttpStatusCode.OK);
        using var client = host.Provider.GetRequiredService<IHttpClientFactory>().CreateClient(PresenceKeepAlive.Http.Internal.PresenceHttpClient.Name);

        (await client.GetAsync(new Uri(GraphTestHost.GraphBase + "/me"))).Dispose();

        var measurement = requests.GetMeasurementSnapshot().Single();
        Assert.That(measurement.Tags["operation"], Is.EqualTo("other"));
        Assert.That(measurement.Tags["outcome"], Is.EqualTo("success"));
    }

    [Test]
    public async Task SetPresenceAsync_MeterFactoryRegistered_PublishesThroughThatFactory()
    {
        using var host = GraphTestHost.Create(configureServices: services => services.AddMetrics());
        var factory = host.Provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var requests = new MetricCollector<long>(factory, PresenceKeepAliveDiagnostics.MeterName, RequestsInstrument);
        host.RespondAlways(HttpStatusCode.OK);

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Away, CancellationToken.None);

        Assert.That(requests.GetMeasurementSnapshot().Single().Tags["outcome"], Is.EqualTo("success"));
    }

    private static GraphTestHost CreateSut(Action<PresenceKeepAliveOptions>? configure = null) => GraphTestHost.Create(configure);

    private static MetricCollector<long> Collector(GraphTestHost host) =>
        new(host.Provider.GetRequiredService<PresenceKeepAliveMetrics>().Meter, RequestsInstrument);
}
