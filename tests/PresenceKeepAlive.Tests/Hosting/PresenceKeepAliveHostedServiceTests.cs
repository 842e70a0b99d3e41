using System.Net;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.Tests.Hosting;

public class PresenceKeepAliveHostedServiceTests
{
    private const string ClientId = "11111111-2222-3333-4444-555555555555";
    private const string Adele = "adele@contoso.com";
    private const string Alex = "0f8fad5b-d9cb-469f-a165-70867728950e";
    private const string Megan = "megan@contoso.com";

    private RecordingGraphHandler _graph = null!;
    private FakeTimeProvider _time = null!;
    private FakeLoggerProvider _logs = null!;

    [SetUp]
    public void SetUp()
    {
        _graph = new RecordingGraphHandler();
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
        _logs = new FakeLoggerProvider();
    }

    [TearDown]
    public void TearDown()
    {
        _graph.Dispose();
        _logs.Dispose();
    }

    private IHost CreateHost(Action<Dictionary<string, string?>>? change = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["PresenceKeepAlive:TenantId"] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            ["PresenceKeepAlive:ClientId"] = ClientId,
            ["PresenceKeepAlive:ClientSecret"] = "unused-because-a-credential-is-registered",
            ["PresenceKeepAlive:Sessions:0:UserId"] = Adele,
            ["PresenceKeepAlive:Sessions:0:Availability"] = "Busy",
            ["PresenceKeepAlive:Sessions:0:Activity"] = "InACall",
            ["PresenceKeepAlive:Sessions:1:UserId"] = Alex,
            ["PresenceKeepAlive:Sessions:1:Availability"] = "available",
            ["PresenceKeepAlive:Sessions:1:Activity"] = "available",
            ["PresenceKeepAlive:Sessions:2:UserId"] = Megan,
            ["PresenceKeepAlive:Sessions:2:Availability"] = "DoNotDisturb",
            ["PresenceKeepAlive:Sessions:2:Activity"] = "Presenting",
        };
        change?.Invoke(settings);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(_logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddPresenceSession(builder.Configuration.GetSection("PresenceKeepAlive"))
            .HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => _graph);

        // The client secret setting is replaced by an explicit credential so no token endpoint is called.
        builder.Services.PostConfigure<PresenceKeepAliveOptions>(o => o.Credential = new FixedTokenCredential("test-token"));
        return builder.Build();
    }

    [Test]
    public async Task StartAsync_ConfiguredSessions_SetsEachWithItsStateAndTheAppSessionId()
    {
        using var host = CreateHost();

        await host.StartAsync();
        await _graph.WaitForRequestsAsync(3);

        var sets = _graph.Requests.Where(r => r.Operation == "setPresence").ToDictionary(r => r.UserSegment!);
        Assert.Multiple(() =>
        {
            Assert.That(sets.Keys, Is.EquivalentTo(new[] { Adele, Alex, Megan }));
            Assert.That(sets.Values.Select(r => r.Method), Is.All.EqualTo(HttpMethod.Post));
            Assert.That(sets.Values.Select(r => r.Authorization), Is.All.EqualTo("Bearer test-token"));
            Assert.That(sets.Values.Select(r => (string?)r.Json!["sessionId"]), Is.All.EqualTo(ClientId));
            Assert.That(sets.Values.Select(r => (string?)r.Json!["expirationDuration"]), Is.All.EqualTo("PT5M"));
            Assert.That(((string?)sets[Adele].Json!["availability"], (string?)sets[Adele].Json!["activity"]), Is.EqualTo(("Busy", "InACall")));
            Assert.That(((string?)sets[Alex].Json!["availability"], (string?)sets[Alex].Json!["activity"]), Is.EqualTo(("Available", "Available")));
            Assert.That(((string?)sets[Megan].Json!["availability"], (string?)sets[Megan].Json!["activity"]), Is.EqualTo(("DoNotDisturb", "Presenting")));
        });

        await host.StopAsync();
    }

    [Test]
    public async Task StopAsync_AfterStart_SignsEverySessionOff()
    {
        using var host = CreateHost();
        await host.StartAsync();
        await _graph.WaitForRequestsAsync(3);

        await host.StopAsync();

        var clears = _graph.Requests.Where(r => r.Operation == "clearPresence").ToList();
        var manager = host.Services.GetRequiredService<IPresenceSessionManager>();
        Assert.Multiple(() =>
        {
            Assert.That(clears.Select(r => r.UserSegment), Is.EquivalentTo(new[] { Adele, Alex, Megan }));
            Assert.That(clears.Select(r => (string?)r.Json!["sessionId"]), Is.All.EqualTo(ClientId));
            Assert.That(manager.Sessions.Select(s => s.Status), Is.All.EqualTo(PresenceSessionStatus.Cleared));
            Assert.That(_logs.Collector.GetSnapshot(), Has.Some.Matches<FakeLogRecord>(r => r?.Id.Id == 203 && r.Message == "Presence keep-alive stopped; sessions signed off: 3, not signed off: 0."));
        });
    }

    [Test]
    public async Task StopAsync_SessionAlreadyGone_CountsTheNotFoundAsSignedOff()
    {
        _graph.Responder = r => r.Operation == "clearPresence"
            ? RecordingGraphHandler.GraphError(HttpStatusCode.NotFound, "NotFound", "Session not found")
            : new HttpResponseMessage(HttpStatusCode.OK);
        using var host = CreateHost();
        await host.StartAsync();
        await _graph.WaitForRequestsAsync(3);

        await host.StopAsync();

        Assert.That(
            _logs.Collector.GetSnapshot(),
            Has.Some.Matches<FakeLogRecord>(r => r?.Id.Id == 203 && r.Message == "Presence keep-alive stopped; sessions signed off: 3, not signed off: 0."));
    }

    [Test]
    public async Task SignOffOnStop_False_LeavesSessionsUntouchedOnStop()
    {
        using var host = CreateHost(s => s["PresenceKeepAlive:SignOffOnStop"] = "false");
        await host.StartAsync();
        await _graph.WaitForRequestsAsync(3);

        await host.StopAsync();

        Assert.That(_graph.Requests.Select(r => r.Operation), Has.None.EqualTo("clearPresence"));
    }

    [Test]
    public async Task StartAsync_GraphFailing_HostKeepsRunningAndSessionsKeepTheirDesiredState()
    {
        _graph.Responder = _ => throw new HttpRequestException("connection refused");
        using var host = CreateHost(s => s["PresenceKeepAlive:MaxRetryAttempts"] = "0");
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();

        await host.StartAsync();
        await _graph.WaitForRequestsAsync(3);

        var manager = host.Services.GetRequiredService<IPresenceSessionManager>();
        await WaitUntilAsync(() => manager.Sessions.Count == 3 && manager.Sessions.All(s => s.Status == PresenceSessionStatus.Retrying));
        Assert.Multiple(() =>
        {
            Assert.That(lifetime.ApplicationStopping.IsCancellationRequested, Is.False);
            Assert.That(manager.TryGet(Adele, out var adele), Is.True);
            Assert.That(adele!.DesiredState, Is.SameAs(PresenceState.BusyInACall));
            Assert.That(adele.LastError?.IsTransient, Is.True);
        });

        using var stopLimit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Assert.DoesNotThrowAsync(() => host.StopAsync(stopLimit.Token));
    }

    [Test]
    public async Task StopAsync_SignOffFails_LogsEachUserNotSignedOff()
    {
        _graph.Responder = r => r.Operation == "clearPresence"
            ? RecordingGraphHandler.GraphError(HttpStatusCode.Forbidden, "Forbidden")
            : new HttpResponseMessage(HttpStatusCode.OK);
        using var host = CreateHost();
        await host.StartAsync();
        await _graph.WaitForRequestsAsync(3);

        await host.StopAsync();

        var notSignedOff = _logs.Collector.GetSnapshot().Where(r => r.Id.Id == 204).Select(r => r.Message).ToList();
        Assert.That(notSignedOff, Has.Count.EqualTo(3));
        Assert.That(notSignedOff, Has.Some.StartsWith($"User {Adele} was not signed off before shutdown"));
        Assert.That(notSignedOff, Has.Some.StartsWith($"User {Megan} was not signed off before shutdown"));
    }

    [Test]
    public async Task StartAsync_RequestsSent_AreCountedByOperationAndOutcome()
    {
        using var host = CreateHost();
        using var requests = new MetricCollector<long>(
            host.Services.GetRequiredService<IMeterFactory>(), PresenceKeepAliveDiagnostics.MeterName, "presencekeepalive.requests");

        await host.StartAsync();
        await _graph.WaitForRequestsAsync(3);
        await WaitUntilAsync(() => requests.GetMeasurementSnapshot().Count >= 3);

        var measurements = requests.GetMeasurementSnapshot();
        Assert.That(measurements.Select(m => (m.Tags["operation"], m.Tags["outcome"])),
            Is.EquivalentTo(Enumerable.Repeat<(object?, object?)>(("setPresence", "success"), 3)));
        await host.StopAsync();
    }

    [Test]
    public void AddPresenceSession_CalledTwice_RegistersOneHostedServiceAndOneManager()
    {
        var services = new ServiceCollection();
        services.AddPresenceSession(o => o.ClientId = ClientId);
        services.AddPresenceSession(o => o.BaseUrl = "http://127.0.0.1:5080/v1.0");

        Assert.Multiple(() =>
        {
            Assert.That(services.Count(d => d.ServiceType == typeof(IHostedService)), Is.EqualTo(1));
            Assert.That(services.Count(d => d.ServiceType == typeof(IPresenceSessionManager)), Is.EqualTo(1));
        });
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var limit = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (limit.Elapsed > TimeSpan.FromSeconds(20))
            {
                Assert.Fail("The condition was not met within 20 s.");
            }

            await Task.Yield();
        }
    }
}
