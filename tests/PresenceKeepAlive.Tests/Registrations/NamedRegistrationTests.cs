using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Registrations.Internal;

namespace PresenceKeepAlive.Tests.Registrations;

/// <summary>Named registrations through the real Generic Host and DI graph, Graph answered by a recording primary handler.</summary>
public class NamedRegistrationTests
{
    internal const string AppA = "a1111111-0000-4000-8000-000000000001";
    internal const string AppB = "a2222222-0000-4000-8000-000000000002";
    internal const string Contoso = "6f1a2b3c-0000-4000-8000-00000000c001";
    internal const string Fabrikam = "6f1a2b3c-0000-4000-8000-00000000fab1";
    internal const string Emulator = "http://127.0.0.1:5080/v1.0";

    private static IHost CreateHost(Dictionary<string, string?> settings, Action<HostApplicationBuilder> register, Action<ILoggingBuilder>? logging = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        logging?.Invoke(builder.Logging);
        register(builder);
        return builder.Build();
    }

    private static Dictionary<string, string?> TwoTenants() => new()
    {
        ["PresenceKeepAlive:ClientId"] = AppA,
        ["PresenceKeepAlive:BaseUrl"] = Emulator,
        ["PresenceKeepAlive:Tenants:contoso:TenantId"] = Contoso,
        ["PresenceKeepAlive:Tenants:contoso:Sessions:0:UserId"] = "adele@contoso.com",
        ["PresenceKeepAlive:Tenants:contoso:Sessions:0:Availability"] = "Busy",
        ["PresenceKeepAlive:Tenants:contoso:Sessions:0:Activity"] = "InACall",
        ["PresenceKeepAlive:Tenants:fabrikam:TenantId"] = Fabrikam,
        ["PresenceKeepAlive:Tenants:fabrikam:RateLimitPerWindow"] = "700",
        ["PresenceKeepAlive:Tenants:fabrikam:Sessions:0:UserId"] = "alex@fabrikam.com",
    };

    internal static JsonNode TokenPayload(RecordedRequest request)
    {
        var token = request.Authorization!["Bearer ".Length..].Split('.')[1].Replace('-', '+').Replace('_', '/');
        token += new string('=', (4 - (token.Length % 4)) % 4);
        return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)))!;
    }

    [Test]
    public void AddPresenceRegistrations_TenantsSection_BindsSharedDefaultsAndEachTenantsOwnSettings()
    {
        var settings = TwoTenants();
        settings["PresenceKeepAlive:Sessions:0:UserId"] = "not-inherited@contoso.com";
        using var host = CreateHost(settings, b => b.Services.AddPresenceRegistrations(b.Configuration.GetSection("PresenceKeepAlive")));
        var options = host.Services.GetRequiredService<IOptionsMonitor<PresenceKeepAliveOptions>>();

        var contoso = options.Get("contoso");
        var fabrikam = options.Get("fabrikam");

        Assert.That((contoso.ClientId, contoso.TenantId, contoso.BaseUrl, contoso.RateLimitPerWindow), Is.EqualTo((AppA, Contoso, Emulator, 1500)));
        Assert.That((fabrikam.ClientId, fabrikam.TenantId, fabrikam.RateLimitPerWindow), Is.EqualTo((AppA, Fabrikam, 700)));
        Assert.That(contoso.Sessions.Select(s => s.UserId), Is.EqualTo(new[] { "adele@contoso.com" }), "lists are each tenant's own");
        Assert.That(fabrikam.Sessions.Select(s => s.UserId), Is.EqualTo(new[] { "alex@fabrikam.com" }));
        Assert.That(host.Services.GetRequiredService<IPresenceSessionManagerProvider>().Names, Is.EqualTo(new[] { "contoso", "fabrikam" }));
    }

    [Test]
    public void AddPresenceRegistrations_NoTenants_ThrowsNamingTheSection()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["PresenceKeepAlive:ClientId"] = AppA }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => services.AddPresenceRegistrations(configuration.GetSection("PresenceKeepAlive")));

        Assert.That(error!.Message, Does.StartWith("The configuration section 'PresenceKeepAlive:Tenants' lists no tenants"));
    }

    [Test]
    public void Provider_UnnamedAndNamedRegistrations_GivesEachItsOwnManager()
    {
        var settings = TwoTenants();
        settings["Single:ClientId"] = AppB;
        settings["Single:BaseUrl"] = Emulator;
        using var host = CreateHost(settings, b =>
        {
            b.Services.AddPresenceSession(b.Configuration.GetSection("Single"));
            b.Services.AddPresenceRegistrations(b.Configuration.GetSection("PresenceKeepAlive"));
        });
        var provider = host.Services.GetRequiredService<IPresenceSessionManagerProvider>();

        var unnamed = provider.GetManager(string.Empty);
        var contoso = provider.GetManager("contoso");

        Assert.That(provider.Names, Is.EqualTo(new[] { string.Empty, "contoso", "fabrikam" }));
        Assert.That(unnamed, Is.SameAs(host.Services.GetRequiredService<IPresenceSessionManager>()));
        Assert.That(contoso, Is.SameAs(host.Services.GetRequiredKeyedService<IPresenceSessionManager>("contoso")));
        Assert.That(contoso, Is.SameAs(host.Services.GetRequiredKeyedService<IPresenceAppPool>("contoso")));
        Assert.That(contoso, Is.Not.SameAs(provider.GetManager("fabrikam")));
        Assert.That(((IPresenceAppPool)contoso).TenantId, Is.EqualTo(Contoso));
        var missing = Assert.Throws<KeyNotFoundException>(() => provider.GetManager("northwind"));
        Assert.That(missing!.Message, Is.EqualTo("No presence registration is named 'northwind'. Registered: '' (the unnamed AddPresenceSession), 'contoso', 'fabrikam'."));
    }

    [Test]
    public async Task StartAsync_NamedRegistrationWithBadSettings_FailsNamingTheRegistration()
    {
        var settings = TwoTenants();
        settings["PresenceKeepAlive:Tenants:fabrikam:ClientId"] = "00000000-0000-0000-0000-000000000000";
        settings["PresenceKeepAlive:Tenants:fabrikam:Lease"] = "PT5H";
        using var host = CreateHost(settings, b => b.Services.AddPresenceRegistrations(b.Configuration.GetSection("PresenceKeepAlive")));

        var error = (await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()))!;

        Assert.That(error.OptionsName, Is.EqualTo("fabrikam"));
        var failures = error.Failures.ToList();
        Assert.That(failures, Has.Count.EqualTo(2));
        Assert.That(failures, Has.All.StartWith("Registration 'fabrikam': "));
        Assert.That(failures[0], Does.Contain("ClientId '00000000-0000-0000-0000-000000000000' is the empty GUID"));
    }

    [Test]
    public void Validate_AppsOnTheUnnamedRegistration_SaysAPoolNeedsAName()
    {
        var options = new PresenceKeepAliveOptions { ClientId = AppA, BaseUrl = Emulator };
        options.Apps.Add(new PresenceAppRegistration { ClientId = AppB });

        var result = new PresenceKeepAlive.DependencyInjection.Internal.PresenceKeepAliveOptionsValidator().Validate(Microsoft.Extensions.Options.Options.DefaultName, options);

        Assert.That(result.Failures, Is.EqualTo(new[]
        {
            "Apps lists 1 app registrations, but a pool needs a named registration: use AddPresenceSession(\"name\", section) or AddPresenceRegistrations(section), or set ClientId alone for one app",
        }));
    }

    [Test]
    public void Validate_PoolWithDuplicateAppsAndNoCredentialOffLoopback_NamesEachApp()
    {
        var options = new PresenceKeepAliveOptions { TenantId = Contoso };
        options.Apps.Add(new PresenceAppRegistration { ClientId = AppA, ClientSecret = "s" });
        options.Apps.Add(new PresenceAppRegistration { ClientId = AppA.ToUpperInvariant(), ClientSecret = "s" });
        options.Apps.Add(new PresenceAppRegistration { ClientId = AppB });

        var result = new PresenceKeepAlive.DependencyInjection.Internal.PresenceKeepAliveOptionsValidator().Validate("contoso", options);

        Assert.That(result.Failures, Is.EqualTo(new[]
        {
            $"Registration 'contoso': Apps[1].ClientId '{AppA.ToUpperInvariant()}' appears more than once: each app of a pool is a different app registration",
            $"Registration 'contoso': Apps[2] ('{AppB}') has no credential for BaseUrl 'https://graph.microsoft.com/v1.0': set its ClientSecret, CertificatePath or CertificateThumbprint (each app registration has its own), or set Credential. Only a loopback BaseUrl works without one",
        }));
    }

    [Test]
    public async Task StartAsync_TwoTenantsOfOneApp_SetsEachTenantsSessionsWithATokenForThatTenant()
    {
        using var graph = new RecordingGraphHandler();
        using var host = CreateHost(TwoTenants(), b =>
        {
            b.Services.AddPresenceRegistrations(b.Configuration.GetSection("PresenceKeepAlive"), (_, p) => p.HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => graph));
        });

        await host.StartAsync();
        await graph.WaitForRequestsAsync(2);

        var byUser = graph.Requests.ToDictionary(r => r.UserSegment!);
        Assert.That(byUser.Keys, Is.EquivalentTo(new[] { "adele@contoso.com", "alex@fabrikam.com" }));
        Assert.That((string?)TokenPayload(byUser["adele@contoso.com"])["tid"], Is.EqualTo(Contoso));
        Assert.That((string?)TokenPayload(byUser["alex@fabrikam.com"])["tid"], Is.EqualTo(Fabrikam));
        Assert.That(graph.Requests.Select(r => (string?)r.Json!["sessionId"]), Has.All.EqualTo(AppA));
        Assert.That((string?)byUser["adele@contoso.com"].Json!["availability"], Is.EqualTo("Busy"));

        await host.StopAsync();

        var clears = graph.Requests.Where(r => r.Operation == "clearPresence").Select(r => r.UserSegment).ToList();
        Assert.That(clears, Is.EquivalentTo(new[] { "adele@contoso.com", "alex@fabrikam.com" }), "stop signs off every registration's sessions");
    }

    [Test]
    public async Task Sessions_OfANamedRegistration_AreTaggedAndLoggedWithTheRegistrationAndTenant()
    {
        using var graph = new RecordingGraphHandler();
        var logs = new FakeLogCollector();
        using var host = CreateHost(
            TwoTenants(),
            b =>
            {
                b.Services.AddPresenceRegistrations(b.Configuration.GetSection("PresenceKeepAlive"), (_, p) => p.HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => graph));
            },
            l => l.SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(logs)));
        var meter = host.Services.GetRequiredService<PresenceKeepAliveMetrics>().Meter;
        using var active = new MetricCollector<long>(meter, "presencekeepalive.sessions.active");
        using var requests = new MetricCollector<long>(meter, "presencekeepalive.requests");
        using var capacity = new MetricCollector<long>(meter, "presencekeepalive.registration.capacity");

        await host.StartAsync();
        await graph.WaitForRequestsAsync(2);
        await Task.WhenAll(active.WaitForMeasurementsAsync(2, TimeSpan.FromSeconds(20)), requests.WaitForMeasurementsAsync(2, TimeSpan.FromSeconds(20)));
        capacity.RecordObservableInstruments();

        var contosoActive = active.GetMeasurementSnapshot().Single(m => (string?)m.Tags["presencekeepalive.registration"] == "contoso");
        Assert.That(contosoActive.Tags["presencekeepalive.tenant"], Is.EqualTo(Contoso));
        Assert.That(contosoActive.Tags["presencekeepalive.client_id"], Is.EqualTo(AppA));
        Assert.That(requests.GetMeasurementSnapshot().Select(m => m.Tags["presencekeepalive.registration"]), Is.EquivalentTo(new[] { "contoso", "fabrikam" }));
        var fabrikamCapacity = capacity.GetMeasurementSnapshot().Single(m => (string?)m.Tags["presencekeepalive.registration"] == "fabrikam");
        Assert.That(fabrikamCapacity.Value, Is.EqualTo((long)(700 / 30.0 * 0.97 * 300)), "the registration's own budget: 700 per 30 s");
        Assert.That(contosoActive.Tags.Values, Has.None.EqualTo("from-a-secret-store"));

        var sent = logs.GetSnapshot().Where(r => r.Category!.EndsWith("GraphPresenceProtocol", StringComparison.Ordinal)).ToList();
        Assert.That(sent, Is.Not.Empty);
        var scope = sent.Select(r => r.Scopes.OfType<IReadOnlyList<KeyValuePair<string, object?>>>().Single()).First(s => (string?)s[0].Value == "fabrikam");
        Assert.That(scope.Select(p => p.Key), Is.EqualTo(new[] { "PresenceRegistration", "TenantId", "ClientId" }));
        Assert.That(scope[1].Value, Is.EqualTo(Fabrikam));
        await host.StopAsync();
    }
}
