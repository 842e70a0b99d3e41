using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.Tests.Hosting;

/// <summary>What the hosted service logs at start-up: each failure once, in readable sentences.</summary>
public class HostingLogTests
{
    private const string ClientId = "11111111-2222-3333-4444-555555555555";

    private RecordingGraphHandler _graph = null!;
    private FakeLoggerProvider _logs = null!;

    [SetUp]
    public void SetUp()
    {
        _graph = new RecordingGraphHandler();
        _logs = new FakeLoggerProvider();
    }

    [TearDown]
    public void TearDown()
    {
        _graph.Dispose();
        _logs.Dispose();
    }

    private IHost CreateHost(Dictionary<string, string?> settings, bool credentialInCode = true)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(_logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero)));
        builder.Services.AddPresenceSession(builder.Configuration.GetSection("PresenceKeepAlive"))
            .HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => _graph);
        if (credentialInCode)
        {
            builder.Services.PostConfigure<PresenceKeepAliveOptions>(o => o.Credential = new FixedTokenCredential("test-token"));
        }

        return builder.Build();
    }

    private static Dictionary<string, string?> OneSession() => new()
    {
        ["PresenceKeepAlive:ClientId"] = ClientId,
        ["PresenceKeepAlive:Sessions:0:UserId"] = "adele@contoso.com",
        ["PresenceKeepAlive:Sessions:0:Availability"] = "Busy",
        ["PresenceKeepAlive:Sessions:0:Activity"] = "InACall",
    };

    [Test]
    public async Task StartAsync_GraphRefusesPermanently_LogsTheFailureOnceAtError()
    {
        _graph.Responder = _ => RecordingGraphHandler.GraphError(HttpStatusCode.Forbidden, "Forbidden");
        using var host = CreateHost(OneSession());
        var manager = host.Services.GetRequiredService<IPresenceSessionManager>();

        await host.StartAsync();
        await WaitUntilAsync(() => _logs.Collector.GetSnapshot().Any(r => r.Id.Id == 206));

        var errors = _logs.Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Error).ToList();
        Assert.That(errors.Select(r => r.Id.Id), Is.EqualTo(new[] { 105 }), string.Join(Environment.NewLine, errors.Select(r => r.Message)));
        Assert.That(manager.TryGet("adele@contoso.com", out var adele) && adele.Status == PresenceSessionStatus.Failed, Is.True);
        await host.StopAsync();
    }

    [Test]
    public async Task StartAsync_OneConfiguredSession_SaysSoWithoutABrokenPlural()
    {
        using var host = CreateHost(OneSession());

        await host.StartAsync();

        Assert.That(
            _logs.Collector.GetSnapshot().Single(r => r.Id.Id == 200).Message,
            Is.EqualTo("Presence keep-alive started; configured sessions: 1."));
        await host.StopAsync();
    }

    [Test]
    public async Task StartAsync_LoopbackBaseUrlWithAClientSecret_SaysTheSecretIsNotUsed()
    {
        var settings = OneSession();
        settings["PresenceKeepAlive:TenantId"] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
        settings["PresenceKeepAlive:ClientSecret"] = "from-a-secret-store";
        settings["PresenceKeepAlive:BaseUrl"] = "http://127.0.0.1:5080/v1.0";
        using var host = CreateHost(settings, credentialInCode: false);

        await host.StartAsync();

        var record = _logs.Collector.GetSnapshot().Single(r => r.Id.Id == 207);
        Assert.That(record.Level, Is.EqualTo(LogLevel.Information));
        Assert.That(record.Message, Is.EqualTo(
            "BaseUrl http://127.0.0.1:5080/v1.0 is a loopback address (a local emulator): sending a development token, not the configured ClientSecret. " +
            "Set UseConfiguredCredentialOnLoopback to use it there."));
        Assert.That(record.Message, Does.Not.Contain("from-a-secret-store"));
        await host.StopAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                Assert.Fail("Timed out waiting for the condition.");
            }

            await Task.Yield();
        }
    }
}
