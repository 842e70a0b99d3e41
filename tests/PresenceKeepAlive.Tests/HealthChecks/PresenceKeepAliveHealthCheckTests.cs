using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.Tests.HealthChecks;

public class PresenceKeepAliveHealthCheckTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    private FakeTimeProvider _time = null!;
    private FakeManager _manager = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(Now);
        _manager = new FakeManager();
    }

    [TearDown]
    public async Task TearDown() => await _manager.DisposeAsync();

    [Test]
    public async Task CheckHealth_NoSessions_IsHealthy()
    {
        var entry = await CheckAsync();

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Healthy));
        Assert.That(entry.Description, Is.EqualTo("No presence sessions."));
        Assert.That(entry.Data["sessions"], Is.EqualTo(0));
    }

    [Test]
    public async Task CheckHealth_ActiveAndRecentlyRetrying_IsHealthyWithCountsPerStatus()
    {
        _manager.AddMany(3, PresenceSessionStatus.Active, Now.AddMinutes(-1));
        _manager.Add("retrying@contoso.com", PresenceSessionStatus.Retrying, lastConfirmedAt: Now.AddMinutes(-2));
        _manager.Add("new@contoso.com", PresenceSessionStatus.NotStarted);
        _manager.Add("gone@contoso.com", PresenceSessionStatus.Cleared);

        var entry = await CheckAsync();

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Healthy), entry.Description);
        Assert.That(entry.Description, Is.EqualTo("6 presence sessions: 3 active, none at risk."));
        Assert.That(entry.Data, Is.EquivalentTo(new Dictionary<string, object>
        {
            ["sessions"] = 6,
            ["notStarted"] = 1,
            ["active"] = 3,
            ["retrying"] = 1,
            ["lapsed"] = 0,
            ["failed"] = 0,
            ["cleared"] = 1,
            ["disposed"] = 0,
            ["retryingTooLong"] = 0,
            ["overdue"] = 0,
            ["lapsedOrFailedShare"] = 0d,
        }));
    }

    [Test]
    public async Task CheckHealth_RetryingUnconfirmedPastHalfTheSessionTimeout_IsDegraded()
    {
        _manager.AddMany(9, PresenceSessionStatus.Active, Now.AddMinutes(-1));
        _manager.Add("at-risk@contoso.com", PresenceSessionStatus.Retrying, lastConfirmedAt: Now - TimeSpan.FromSeconds(151));

        var entry = await CheckAsync();

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(entry.Description, Is.EqualTo("1 session retrying, unconfirmed for more than 00:02:30."));
        Assert.That(entry.Data["retryingTooLong"], Is.EqualTo(1));
    }

    [Test]
    public async Task CheckHealth_RetryingThresholdFollowsSessionTimeoutAndOption()
    {
        _manager.Add("at-risk@contoso.com", PresenceSessionStatus.Retrying, lastConfirmedAt: Now - TimeSpan.FromSeconds(40));

        var byTimeout = await CheckAsync(library: o => o.SessionTimeout = TimeSpan.FromMinutes(1));
        var byOption = await CheckAsync(o => o.RetryingDegradedAfter = TimeSpan.FromMinutes(1), o => o.SessionTimeout = TimeSpan.FromMinutes(1));

        Assert.That(byTimeout.Status, Is.EqualTo(HealthStatus.Degraded), "half of a 1-minute SessionTimeout is 30 s");
        Assert.That(byOption.Status, Is.EqualTo(HealthStatus.Healthy), "RetryingDegradedAfter 1 minute overrides it");
    }

    [Test]
    public async Task CheckHealth_NeverConfirmedSessionRetrying_CountsFromWhenItStartedRetrying()
    {
        var session = _manager.Add("never@contoso.com", PresenceSessionStatus.NotStarted);
        using var provider = CreateProvider();
        Assert.That((await CheckAsync(provider)).Status, Is.EqualTo(HealthStatus.Healthy));

        _manager.Move(session, PresenceSessionStatus.Retrying);
        _time.Advance(TimeSpan.FromMinutes(2));
        var early = await CheckAsync(provider);
        _time.Advance(TimeSpan.FromSeconds(31));
        var late = await CheckAsync(provider);
        _manager.Move(session, PresenceSessionStatus.Active);
        session.LastConfirmedAt = _time.GetUtcNow();
        var recovered = await CheckAsync(provider);

        Assert.That(early.Status, Is.EqualTo(HealthStatus.Healthy), early.Description);
        Assert.That(late.Status, Is.EqualTo(HealthStatus.Degraded), late.Description);
        Assert.That(recovered.Status, Is.EqualTo(HealthStatus.Healthy), recovered.Description);
    }

    [Test]
    public async Task CheckHealth_LapsedOrFailedAboveTheShare_IsUnhealthy()
    {
        _manager.AddMany(8, PresenceSessionStatus.Active, Now);
        _manager.Add("lapsed@contoso.com", PresenceSessionStatus.Lapsed, Now.AddMinutes(-6));
        _manager.Add("failed@contoso.com", PresenceSessionStatus.Failed);

        var entry = await CheckAsync();

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(entry.Description, Is.EqualTo("2 of 10 live presence sessions lapsed or failed (20%; above the 10% allowed)."));
        Assert.That(entry.Data["lapsed"], Is.EqualTo(1));
        Assert.That(entry.Data["failed"], Is.EqualTo(1));
        Assert.That(entry.Data["lapsedOrFailedShare"], Is.EqualTo(0.2));
    }

    [Test]
    public async Task CheckHealth_LapsedWithinTheShare_IsDegraded()
    {
        _manager.AddMany(9, PresenceSessionStatus.Active, Now);
        _manager.Add("lapsed@contoso.com", PresenceSessionStatus.Lapsed, Now.AddMinutes(-6));

        var entry = await CheckAsync();

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(entry.Description, Is.EqualTo("1 of 10 live presence sessions lapsed or failed (10%; within the 10% allowed)."));
    }

    [Test]
    public async Task CheckHealth_UnhealthyWithACustomFailureStatus_ReportsThatStatus()
    {
        _manager.Add("failed@contoso.com", PresenceSessionStatus.Failed);

        var entry = await CheckAsync(o => o.UnhealthyShare = 0, failureStatus: HealthStatus.Degraded);

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(entry.Description, Does.StartWith("1 of 1 live presence session lapsed or failed (100%; above the 0% allowed)"));
    }

    [Test]
    public async Task CheckHealth_RefreshesOverdue_IsDegradedAsOverCapacity()
    {
        _manager.Add("late@contoso.com", PresenceSessionStatus.Active, Now.AddMinutes(-4), nextRefreshAt: Now.AddSeconds(-61));
        _manager.Add("due@contoso.com", PresenceSessionStatus.Active, Now.AddMinutes(-4), nextRefreshAt: Now.AddSeconds(-59));
        _manager.Add("cleared@contoso.com", PresenceSessionStatus.Cleared, Now.AddMinutes(-4), nextRefreshAt: Now.AddMinutes(-5));

        var entry = await CheckAsync();

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(entry.Description, Is.EqualTo("1 session with a refresh overdue by more than 00:01:00: the rate budget cannot keep up (over capacity)."));
        Assert.That(entry.Data["overdue"], Is.EqualTo(1));
    }

    [Test]
    public async Task CheckHealth_OnlyNotStartedClearedOrDisposed_JudgesNothing()
    {
        _manager.Add("a@contoso.com", PresenceSessionStatus.NotStarted);
        _manager.Add("b@contoso.com", PresenceSessionStatus.Cleared);
        _manager.Add("c@contoso.com", PresenceSessionStatus.Disposed);

        var entry = await CheckAsync(o => o.UnhealthyShare = 0);

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Healthy));
        Assert.That(entry.Data["lapsedOrFailedShare"], Is.EqualTo(0d));
    }

    [Test]
    public async Task AddPresenceKeepAlive_NameAndTags_AreRegistered()
    {
        var services = new ServiceCollection();
        services.AddHealthChecks().AddPresenceKeepAlive(name: "presence", tags: ["ready"]);
        await using var provider = services.BuildServiceProvider();

        var registration = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Single();

        Assert.That(registration.Name, Is.EqualTo("presence"));
        Assert.That(registration.Tags, Is.EquivalentTo(new[] { "ready" }));
        Assert.That(registration.FailureStatus, Is.EqualTo(HealthStatus.Unhealthy));
    }

    [TestCase(1.5, "UnhealthyShare 1.5 must be from 0 to 1")]
    [TestCase(-0.1, "UnhealthyShare -0.1 must be from 0 to 1")]
    public async Task AddPresenceKeepAlive_InvalidOptions_CheckFailsNamingTheSetting(double share, string expected)
    {
        using var provider = CreateProvider(o => o.UnhealthyShare = share);

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var entry = report.Entries["presencekeepalive"];

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(entry.Exception, Is.TypeOf<OptionsValidationException>());
        Assert.That(entry.Exception!.Message, Does.Contain("Health check 'presencekeepalive': " + expected));
    }

    [Test]
    public async Task AddPresenceKeepAlive_WithoutAddPresenceSession_ReportsUnhealthySayingWhatIsMissing()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHealthChecks().AddPresenceKeepAlive();
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var entry = report.Entries["presencekeepalive"];

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(entry.Exception?.Message, Does.StartWith("The PresenceKeepAlive health check found no IPresenceSessionManager: call services.AddPresenceSession(...)"));
    }

    [Test]
    public async Task AddPresenceKeepAlive_WithTheRealManager_ReportsItsSessions()
    {
        using var graph = new RecordingGraphHandler();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_time);
        services.AddPresenceSession(o =>
            {
                o.ClientId = "11111111-2222-3333-4444-555555555555";
                o.Credential = new FixedTokenCredential("t");
                o.SignOffOnDispose = false;
            })
            .HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => graph);
        services.AddHealthChecks().AddPresenceKeepAlive();
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IPresenceSessionManager>().GetOrCreate("adele@contoso.com").SetAsync(PresenceState.BusyInACall);

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var entry = report.Entries["presencekeepalive"];

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Healthy), entry.Description);
        Assert.That(entry.Data["active"], Is.EqualTo(1));
    }

    private ServiceProvider CreateProvider(
        Action<PresenceKeepAliveHealthCheckOptions>? configure = null,
        Action<PresenceKeepAliveOptions>? library = null,
        HealthStatus? failureStatus = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<IPresenceSessionManager>(_manager);
        if (library is not null)
        {
            services.Configure(library);
        }

        services.AddHealthChecks().AddPresenceKeepAlive(configure, failureStatus: failureStatus);
        return services.BuildServiceProvider();
    }

    private async Task<HealthReportEntry> CheckAsync(
        Action<PresenceKeepAliveHealthCheckOptions>? configure = null,
        Action<PresenceKeepAliveOptions>? library = null,
        HealthStatus? failureStatus = null)
    {
        using var provider = CreateProvider(configure, library, failureStatus);
        return await CheckAsync(provider);
    }

    private static async Task<HealthReportEntry> CheckAsync(IServiceProvider provider)
    {
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries[PresenceKeepAliveHealthChecksBuilderExtensions.DefaultName];
    }
}
