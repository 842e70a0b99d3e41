using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PresenceKeepAlive.Tests.DependencyInjection;

public class OptionsValidationTests
{
    private const string ClientId = "11111111-2222-3333-4444-555555555555";
    private const string TenantId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

    private static Dictionary<string, string?> ValidSettings() => new()
    {
        ["PresenceKeepAlive:TenantId"] = TenantId,
        ["PresenceKeepAlive:ClientId"] = ClientId,
        ["PresenceKeepAlive:ClientSecret"] = "not-a-real-secret",
        ["PresenceKeepAlive:Sessions:0:UserId"] = "adele@contoso.com",
        ["PresenceKeepAlive:Sessions:0:Availability"] = "Busy",
        ["PresenceKeepAlive:Sessions:0:Activity"] = "InACall",
    };

    private static IHost CreateHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddPresenceSession(builder.Configuration.GetSection(PresenceKeepAliveOptions.SectionName));
        return builder.Build();
    }

    private static async Task<OptionsValidationException> StartExpectingFailureAsync(Dictionary<string, string?> settings)
    {
        using var host = CreateHost(settings);
        return (await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()))!;
    }

    [Test]
    public void Bind_FromConfigurationSection_ReadsEveryContractSetting()
    {
        var settings = ValidSettings();
        settings["PresenceKeepAlive:BaseUrl"] = "https://graph.microsoft.us/v1.0";
        settings["PresenceKeepAlive:Protocol"] = "Patch";
        settings["PresenceKeepAlive:SessionTimeout"] = "00:04:00";
        settings["PresenceKeepAlive:RefreshInterval"] = "00:03:00";
        settings["PresenceKeepAlive:Lease"] = "01:00:00";
        settings["PresenceKeepAlive:SignOffOnStop"] = "false";
        settings["PresenceKeepAlive:Sessions:1:UserId"] = "0f8fad5b-d9cb-469f-a165-70867728950e";
        settings["PresenceKeepAlive:Sessions:1:Availability"] = "Away";
        settings["PresenceKeepAlive:Sessions:1:Activity"] = "Away";
        using var host = CreateHost(settings);

        var options = host.Services.GetRequiredService<IOptions<PresenceKeepAliveOptions>>().Value;

        Assert.Multiple(() =>
        {
            Assert.That(options.TenantId, Is.EqualTo(TenantId));
            Assert.That(options.ClientId, Is.EqualTo(ClientId));
            Assert.That(options.ClientSecret, Is.EqualTo("not-a-real-secret"));
            Assert.That(options.BaseUrl, Is.EqualTo("https://graph.microsoft.us/v1.0"));
            Assert.That(options.Protocol, Is.EqualTo(PresenceProtocol.Patch));
            Assert.That(options.SessionTimeout, Is.EqualTo(TimeSpan.FromMinutes(4)));
            Assert.That(options.RefreshInterval, Is.EqualTo(TimeSpan.FromMinutes(3)));
            Assert.That(options.Lease, Is.EqualTo(TimeSpan.FromHours(1)));
            Assert.That(options.SignOffOnStop, Is.False);
            Assert.That(options.Sessions.Select(s => (s.UserId, s.Availability, s.Activity)), Is.EqualTo(new[]
            {
                ("adele@contoso.com", "Busy", "InACall"),
                ("0f8fad5b-d9cb-469f-a165-70867728950e", "Away", "Away"),
            }));
        });
    }

    [Test]
    public void Validate_Defaults_AreValidWithCredential()
    {
        var options = new PresenceKeepAliveOptions { ClientId = ClientId, TenantId = TenantId, ClientSecret = "s" };

        var result = new PresenceKeepAlive.DependencyInjection.Internal.PresenceKeepAliveOptionsValidator().Validate(null, options);

        Assert.That(result.Succeeded, Is.True, result.FailureMessage);
    }

    private static IEnumerable<TestCaseData> InvalidSettings()
    {
        yield return Case("missing ClientId", s => s.Remove("PresenceKeepAlive:ClientId"), "ClientId is required");
        yield return Case("ClientId not a GUID", s => s["PresenceKeepAlive:ClientId"] = "my-app", "ClientId 'my-app' is not an application (client) id");
        yield return Case("missing TenantId", s => s.Remove("PresenceKeepAlive:TenantId"), "TenantId is required");
        yield return Case("bad TenantId", s => s["PresenceKeepAlive:TenantId"] = "not a tenant", "TenantId 'not a tenant' is neither a GUID nor a domain name");
        yield return Case("no credential", s => s.Remove("PresenceKeepAlive:ClientSecret"), "No credential is configured for BaseUrl 'https://graph.microsoft.com/v1.0'");
        yield return Case("refresh not shorter than timeout", s => s["PresenceKeepAlive:RefreshInterval"] = "00:05:30",
            "RefreshInterval 00:05:30 must be shorter than SessionTimeout 00:05:00");
        yield return Case("lease too short", s => s["PresenceKeepAlive:Lease"] = "00:04:00", "Lease 00:04:00 (PT4M) is out of range");
        yield return Case("lease too long", s => s["PresenceKeepAlive:Lease"] = "05:00:00", "Lease 05:00:00 (PT5H) is out of range");
        yield return Case("unknown pair", s => s["PresenceKeepAlive:Sessions:0:Activity"] = "InAMeeting",
            "Sessions[0] ('adele@contoso.com'): 'Busy/InAMeeting' is not a presence the SetPresence protocol can set. Allowed pairs: Available/Available, Busy/InACall");
        yield return Case("Offline with setPresence", s =>
        {
            s["PresenceKeepAlive:Sessions:0:Availability"] = "Offline";
            s["PresenceKeepAlive:Sessions:0:Activity"] = "Offline";
        }, "'Offline/Offline' is not a presence the SetPresence protocol can set");
        yield return Case("bad user id", s => s["PresenceKeepAlive:Sessions:0:UserId"] = "../me@contoso.com", "Sessions[0].UserId");
        yield return Case("duplicate user", s =>
        {
            s["PresenceKeepAlive:Sessions:1:UserId"] = "ADELE@contoso.com";
        }, "Sessions[1].UserId 'ADELE@contoso.com' appears more than once");
        yield return Case("http base URL not on loopback", s => s["PresenceKeepAlive:BaseUrl"] = "http://graph.example.com/v1.0",
            "BaseUrl 'http://graph.example.com/v1.0' must use https");
        yield return Case("relative base URL", s => s["PresenceKeepAlive:BaseUrl"] = "/v1.0", "BaseUrl '/v1.0' is not an absolute http(s) URL");
        yield return Case("zero rate limit", s => s["PresenceKeepAlive:RateLimitPerWindow"] = "0", "RateLimitPerWindow 0 must be positive");

        static TestCaseData Case(string name, Action<Dictionary<string, string?>> change, string expected)
        {
            var settings = ValidSettings();
            change(settings);
            return new TestCaseData(settings, expected).SetName("StartAsync_" + name.Replace(' ', '_') + "_FailsWithMessage");
        }
    }

    [TestCaseSource(nameof(InvalidSettings))]
    public async Task StartAsync_InvalidSetting_FailsStartupWithMessage(Dictionary<string, string?> settings, string expected)
    {
        var ex = await StartExpectingFailureAsync(settings);

        Assert.That(ex.Failures, Has.Some.Contains(expected), string.Join(Environment.NewLine, ex.Failures));
    }

    [Test]
    public void Validate_LoopbackBaseUrlWithoutCredential_IsValid()
    {
        var options = new PresenceKeepAliveOptions { ClientId = ClientId, BaseUrl = "http://127.0.0.1:5080/v1.0" };

        var result = new PresenceKeepAlive.DependencyInjection.Internal.PresenceKeepAliveOptionsValidator().Validate(null, options);

        Assert.That(result.Succeeded, Is.True, result.FailureMessage);
    }

    [Test]
    public void Validate_RegisteredTokenCredential_CountsAsCredential()
    {
        var services = new ServiceCollection();
        services.AddSingleton<Azure.Core.TokenCredential>(new FixedTokenCredential("t"));
        using var provider = services.BuildServiceProvider();
        var options = new PresenceKeepAliveOptions { ClientId = ClientId };

        var result = new PresenceKeepAlive.DependencyInjection.Internal.PresenceKeepAliveOptionsValidator(provider).Validate(null, options);

        Assert.That(result.Succeeded, Is.True, result.FailureMessage);
    }

    [Test]
    public void AddPresenceSession_SameSectionTwice_BindsItOnce()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(ValidSettings());
        builder.Services.AddPresenceSession(builder.Configuration.GetSection(PresenceKeepAliveOptions.SectionName));
        builder.Services.AddPresenceSession(builder.Configuration.GetSection(PresenceKeepAliveOptions.SectionName));
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<PresenceKeepAliveOptions>>().Value;

        Assert.That(options.Sessions.Select(s => s.UserId), Is.EqualTo(new[] { "adele@contoso.com" }));
    }

    [Test]
    public void Dispose_SynchronousContainerAfterTheManagerWasUsed_DoesNotThrow()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new Microsoft.Extensions.Time.Testing.FakeTimeProvider());
        services.AddPresenceSession(o =>
        {
            o.ClientId = ClientId;
            o.Credential = new FixedTokenCredential("t");
        });
        var provider = services.BuildServiceProvider();
        var session = provider.GetRequiredService<IPresenceSessionManager>().GetOrCreate("adele@contoso.com");

        Assert.That(provider.Dispose, Throws.Nothing);
        Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Disposed));
    }
}
