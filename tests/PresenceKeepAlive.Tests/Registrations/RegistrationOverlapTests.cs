using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PresenceKeepAlive.Tests.Registrations;

/// <summary>One (app, tenant) budget and one session per user: two registrations never share either.</summary>
public class RegistrationOverlapTests
{
    private const string AppA = NamedRegistrationTests.AppA;
    private const string AppB = NamedRegistrationTests.AppB;
    private const string Contoso = NamedRegistrationTests.Contoso;

    private static IHost CreateHost(Dictionary<string, string?> settings, bool unnamed, RecordingGraphHandler graph)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        var section = builder.Configuration.GetSection("PresenceKeepAlive");
        if (unnamed)
        {
            builder.Services.AddPresenceSession(section).HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => graph);
        }

        builder.Services.AddPresenceRegistrations(section, (_, p) => p.HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => graph));
        return builder.Build();
    }

    private static Dictionary<string, string?> Settings() => new()
    {
        ["PresenceKeepAlive:ClientId"] = AppA,
        ["PresenceKeepAlive:TenantId"] = Contoso,
        ["PresenceKeepAlive:BaseUrl"] = NamedRegistrationTests.Emulator,
        ["PresenceKeepAlive:Tenants:sales:TenantId"] = Contoso,
        ["PresenceKeepAlive:Tenants:sales:Sessions:0:UserId"] = "adele@contoso.com",
        ["PresenceKeepAlive:Tenants:support:TenantId"] = Contoso,
        ["PresenceKeepAlive:Tenants:support:Sessions:0:UserId"] = "alex@contoso.com",
    };

    [Test]
    public async Task StartAsync_TwoNamedRegistrationsOfOneAppAndTenant_IsRefusedNamingBoth()
    {
        using var graph = new RecordingGraphHandler();
        using var host = CreateHost(Settings(), unnamed: false, graph);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures, Has.Some.EqualTo(
            $"Registration 'sales': app {AppA} in tenant {Contoso} is also in registration 'support': Graph gives each app one rate budget per tenant, " +
            "and two registrations would each spend all of it (twice the budget: 429s). Keep one registration per tenant and list its apps under Apps, or use another app registration."));
        Assert.That(graph.Count, Is.Zero, "refused before any request");
        await host.StopAsync();
    }

    [Test]
    public async Task StartAsync_UnnamedAndNamedRegistrationOfOneAppAndTenant_IsRefused()
    {
        var settings = Settings();
        settings["PresenceKeepAlive:Tenants:support:ClientId"] = AppB;
        using var graph = new RecordingGraphHandler();
        using var host = CreateHost(settings, unnamed: true, graph);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures, Has.Some.StartsWith($"Registration 'sales': app {AppA} in tenant {Contoso} is also in the unnamed AddPresenceSession registration"));
        await host.StopAsync();
    }

    [Test]
    public async Task StartAsync_OneUserInTwoRegistrationsOfOneTenant_IsRefused()
    {
        var settings = Settings();
        settings["PresenceKeepAlive:Tenants:support:ClientId"] = AppB;
        settings["PresenceKeepAlive:Tenants:support:Sessions:0:UserId"] = "Adele@contoso.com";
        using var graph = new RecordingGraphHandler();
        using var host = CreateHost(settings, unnamed: false, graph);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures, Is.EqualTo(new[]
        {
            $"Registration 'sales': user Adele@contoso.com is also configured in registration 'support' of tenant {Contoso}: it would be kept alive by two sessions. Configure each user of a tenant in one registration.",
        }));
        await host.StopAsync();
    }

    [Test]
    public async Task StartAsync_DistinctAppsOrTenants_StartsEveryRegistration()
    {
        var settings = Settings();
        settings["PresenceKeepAlive:Tenants:support:ClientId"] = AppB;
        using var graph = new RecordingGraphHandler();
        using var host = CreateHost(settings, unnamed: false, graph);

        await host.StartAsync();
        await graph.WaitForRequestsAsync(2);

        Assert.That(graph.Requests.Select(r => (string?)r.Json!["sessionId"]), Is.EquivalentTo(new[] { AppA, AppB }));
        await host.StopAsync();
    }
}
