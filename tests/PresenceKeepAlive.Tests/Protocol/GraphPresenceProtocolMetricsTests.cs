using PresenceKeepAlive.Protocol.Internal;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Tests.Http;
using RichardSzalay.MockHttp;

namespace PresenceKeepAlive.Tests.Protocol;

/// <summary>The request counter and duration that dashboards and alerts are built on.</summary>
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
    public async Task ClearPresenceAsync_NotFound_CountsNotFoundClearPresence()
    {
        using var host = CreateSut();
        using var requests = Collector(host);
        host.RespondAlways(HttpStatusCode.NotFound);

        await host.Protocol.ClearPresenceAsync(GraphTestHost.UserId, CancellationToken.None);

        var measurement = requests.GetMeasurementSnapshot().Single();
        Assert.That(measurement.Tags["operation"], Is.EqualTo("clearPresence"));
        Assert.That(measurement.Tags["outcome"], Is.EqualTo("not_found"));
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
    public async Task SetPresenceAsync_RetriedThenSuccessful_RecordsOneRequestWithDurationOnTheFakeClock()
    {
        using var host = CreateSut();
        var protocol = host.Protocol;
        using var requests = Collector(host);
        using var duration = new MetricCollector<double>(host.Provider.GetRequiredService<PresenceKeepAliveMetrics>().Meter, "presencekeepalive.request.duration");
        host.RespondInTurn(
            _ =>
            {
                var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(3));
                return response;
            },
            _ => new HttpResponseMessage(HttpStatusCode.OK));

        var send = protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        await host.Time.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(3), GraphTestHost.Generous);
        host.Time.Advance(TimeSpan.FromSeconds(3));
        await send;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(requests.GetMeasurementSnapshot().Single().Tags["outcome"], Is.EqualTo("success"));
            Assert.That(duration.GetMeasurementSnapshot().Single().Value, Is.EqualTo(3).Within(0.001));
        }
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
