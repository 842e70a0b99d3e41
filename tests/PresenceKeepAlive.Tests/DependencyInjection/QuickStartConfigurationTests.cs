using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PresenceKeepAlive.DependencyInjection.Internal;

namespace PresenceKeepAlive.Tests.DependencyInjection;

/// <summary>What a new user meets following the README's quick start: its appsettings.json, pointed at the emulator.</summary>
public class QuickStartConfigurationTests
{
    private const string ClientId = "11111111-2222-3333-4444-555555555555";

    // The README quick start's appsettings.json, with the placeholders a user replaces first.
    private static Dictionary<string, string?> QuickStart() => new()
    {
        ["PresenceKeepAlive:TenantId"] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        ["PresenceKeepAlive:ClientId"] = ClientId,
        ["PresenceKeepAlive:ClientSecret"] = "from-a-secret-store",
        ["PresenceKeepAlive:Sessions:0:UserId"] = "adele@contoso.com",
        ["PresenceKeepAlive:Sessions:0:Availability"] = "Busy",
        ["PresenceKeepAlive:Sessions:0:Activity"] = "InACall",
    };

    private static IHost CreateHost(Dictionary<string, string?> settings, HttpMessageHandler? graph = null, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        var presence = builder.Services.AddPresenceSession(builder.Configuration.GetSection(PresenceKeepAliveOptions.SectionName));
        if (graph is not null)
        {
            presence.HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => graph);
        }

        services?.Invoke(builder.Services);
        return builder.Build();
    }

    private static async Task<OptionsValidationException> StartExpectingFailureAsync(Dictionary<string, string?> settings)
    {
        using var host = CreateHost(settings);
        return (await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()))!;
    }

    [Test]
    public async Task QuickStart_PointedAtTheEmulatorWithItsClientSecret_SendsTheDevelopmentToken()
    {
        var settings = QuickStart();
        settings["PresenceKeepAlive:BaseUrl"] = "http://127.0.0.1:5080/v1.0";
        using var graph = new RecordingGraphHandler();
        using var host = CreateHost(settings, graph);

        await host.StartAsync();
        await graph.WaitForRequestsAsync(1);

        var request = graph.Requests.Single();
        Assert.That(request.Uri.GetLeftPart(UriPartial.Authority) + request.Path, Is.EqualTo("http://127.0.0.1:5080/v1.0/users/adele%40contoso.com/presence/setPresence"));
        var token = request.Authorization!["Bearer ".Length..];
        var payload = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(token.Split('.')[1]))))!;
        Assert.That((string?)payload["iss"], Is.EqualTo("presencekeepalive-development"));
        Assert.That((string?)payload["appid"], Is.EqualTo(ClientId));
        await host.StopAsync();
    }

    [Test]
    public async Task UseConfiguredCredentialOnLoopback_True_UsesTheConfiguredCredential()
    {
        var settings = QuickStart();
        settings["PresenceKeepAlive:BaseUrl"] = "http://127.0.0.1:5080/v1.0";
        settings["PresenceKeepAlive:UseConfiguredCredentialOnLoopback"] = "true";
        settings.Remove("PresenceKeepAlive:ClientSecret");
        using var graph = new RecordingGraphHandler();
        using var host = CreateHost(settings, graph, s => s.AddSingleton<Azure.Core.TokenCredential>(new FixedTokenCredential("registered")));

        await host.StartAsync();
        await graph.WaitForRequestsAsync(1);

        Assert.That(graph.Requests.Single().Authorization, Is.EqualTo("Bearer registered"));
        await host.StopAsync();
    }

    [Test]
    public async Task CredentialInCode_OnLoopback_IsUsed()
    {
        var settings = QuickStart();
        settings["PresenceKeepAlive:BaseUrl"] = "http://localhost:5080/v1.0";
        using var graph = new RecordingGraphHandler();
        using var host = CreateHost(settings, graph, s => s.PostConfigure<PresenceKeepAliveOptions>(o => o.Credential = new FixedTokenCredential("in-code")));

        await host.StartAsync();
        await graph.WaitForRequestsAsync(1);

        Assert.That(graph.Requests.Single().Authorization, Is.EqualTo("Bearer in-code"));
        await host.StopAsync();
    }

    [Test]
    public async Task StartAsync_QuickStartPlaceholderClientId_SaysItIsTheEmptyGuid()
    {
        var settings = QuickStart();
        settings["PresenceKeepAlive:ClientId"] = "00000000-0000-0000-0000-000000000000";

        var ex = await StartExpectingFailureAsync(settings);

        Assert.That(ex.Failures, Has.Some.StartsWith(
            "ClientId '00000000-0000-0000-0000-000000000000' is the empty GUID, a placeholder: put the app registration's Application (client) ID there"));
        Assert.That(ex.Failures, Has.None.Contains("is not an application (client) id"));
    }

    [Test]
    public async Task StartAsync_PlaceholderTenantIdWithASecret_SaysItIsTheEmptyGuid()
    {
        var settings = QuickStart();
        settings["PresenceKeepAlive:TenantId"] = "00000000-0000-0000-0000-000000000000";

        var ex = await StartExpectingFailureAsync(settings);

        Assert.That(ex.Failures, Has.Some.StartsWith(
            "TenantId '00000000-0000-0000-0000-000000000000' is the empty GUID, a placeholder: put your Directory (tenant) ID there"));
    }

    [TestCase("http://127.0.0.1:5080", "http://127.0.0.1:5080/v1.0")]
    [TestCase("https://graph.microsoft.com", "https://graph.microsoft.com/v1.0")]
    [TestCase("https://graph.microsoft.com/", "https://graph.microsoft.com/v1.0")]
    [TestCase("https://proxy.contoso.com/graph", "https://proxy.contoso.com/graph/v1.0")]
    public async Task StartAsync_BaseUrlWithoutVersion_SaysWhatToUse(string baseUrl, string suggestion)
    {
        var settings = QuickStart();
        settings["PresenceKeepAlive:BaseUrl"] = baseUrl;

        var ex = await StartExpectingFailureAsync(settings);

        Assert.That(ex.Failures, Has.Some.StartsWith($"BaseUrl '{baseUrl}' does not end in a Graph version segment: use {suggestion} (or /beta)"));
    }

    [TestCase("https://graph.microsoft.com/v1.0")]
    [TestCase("https://graph.microsoft.com/v1.0/")]
    [TestCase("https://graph.microsoft.com/beta")]
    [TestCase("http://[::1]:5080/V1.0")]
    public void Validate_BaseUrlWithVersion_IsValid(string baseUrl)
    {
        var options = new PresenceKeepAliveOptions { ClientId = ClientId, TenantId = "contoso.onmicrosoft.com", ClientSecret = "s", BaseUrl = baseUrl };

        var result = new PresenceKeepAliveOptionsValidator().Validate(null, options);

        Assert.That(result.Succeeded, Is.True, result.FailureMessage);
    }

    [Test]
    public async Task StartAsync_NoPresenceKeepAliveSection_SaysTheSectionIsMissingAndWhereItIsRead()
    {
        var ex = await StartExpectingFailureAsync(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information" });

        Assert.That(ex.Failures, Has.Some.StartsWith(
            "The configuration section 'PresenceKeepAlive' is missing or empty, so ClientId (required) and every other setting are unset. " +
            "AddPresenceSession reads it from the IConfiguration it is given: put it in appsettings.json"));
        Assert.That(ex.Message, Does.Contain("PresenceKeepAlive__ClientId").And.Contain("--PresenceKeepAlive:ClientId="));
    }

    [Test]
    public async Task StartAsync_SeveralFailures_JoinsThemWithoutStrayPeriods()
    {
        var settings = QuickStart();
        settings["PresenceKeepAlive:BaseUrl"] = "http://graph.example.com/v1.0";
        settings.Remove("PresenceKeepAlive:ClientSecret");

        var ex = await StartExpectingFailureAsync(settings);

        Assert.That(ex.Failures.ToList(), Has.Count.EqualTo(2));
        Assert.That(ex.Message, Does.Contain("(a local emulator); No credential is configured"));
        Assert.That(ex.Message, Does.Not.Contain(".;"));
    }

    [TestCase("PT5M", 0, 5, 0)]
    [TestCase("PT4H", 4, 0, 0)]
    [TestCase("PT1H30M", 1, 30, 0)]
    [TestCase("00:10:00", 0, 10, 0)]
    public void Bind_LeaseAsIso8601OrTimeSpanText_IsRead(string lease, int hours, int minutes, int seconds)
    {
        var settings = QuickStart();
        settings["PresenceKeepAlive:Lease"] = lease;
        using var host = CreateHost(settings);

        var options = host.Services.GetRequiredService<IOptions<PresenceKeepAliveOptions>>().Value;

        Assert.That(options.Lease, Is.EqualTo(new TimeSpan(hours, minutes, seconds)));
    }

    [Test]
    public void Bind_EveryDurationAsIso8601_IsReadAndTheRestStillBinds()
    {
        var settings = QuickStart();
        settings["PresenceKeepAlive:SessionTimeout"] = "PT4M";
        settings["PresenceKeepAlive:RefreshInterval"] = "PT3M";
        settings["PresenceKeepAlive:RefreshMargin"] = "PT20S";
        settings["PresenceKeepAlive:RateLimitWindow"] = "PT1M";
        settings["PresenceKeepAlive:RetryBaseDelay"] = "PT0.5S";
        settings["PresenceKeepAlive:RetryMaxDelay"] = "PT10S";
        settings["PresenceKeepAlive:AttemptTimeout"] = "PT15S";
        settings["PresenceKeepAlive:TotalRequestTimeout"] = "PT45S";
        settings["PresenceKeepAlive:Lease"] = "PT2H";
        using var host = CreateHost(settings);

        var options = host.Services.GetRequiredService<IOptions<PresenceKeepAliveOptions>>().Value;

        Assert.Multiple(() =>
        {
            Assert.That(options.SessionTimeout, Is.EqualTo(TimeSpan.FromMinutes(4)));
            Assert.That(options.RefreshInterval, Is.EqualTo(TimeSpan.FromMinutes(3)));
            Assert.That(options.RefreshMargin, Is.EqualTo(TimeSpan.FromSeconds(20)));
            Assert.That(options.RateLimitWindow, Is.EqualTo(TimeSpan.FromMinutes(1)));
            Assert.That(options.RetryBaseDelay, Is.EqualTo(TimeSpan.FromMilliseconds(500)));
            Assert.That(options.RetryMaxDelay, Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(options.AttemptTimeout, Is.EqualTo(TimeSpan.FromSeconds(15)));
            Assert.That(options.TotalRequestTimeout, Is.EqualTo(TimeSpan.FromSeconds(45)));
            Assert.That(options.Lease, Is.EqualTo(TimeSpan.FromHours(2)));
            Assert.That(options.ClientId, Is.EqualTo(ClientId));
            Assert.That(options.Sessions.Select(s => s.UserId), Is.EqualTo(new[] { "adele@contoso.com" }));
        });
    }

    [Test]
    public async Task StartAsync_DurationInNeitherFormat_NamesTheSettingAndBothFormats()
    {
        var settings = QuickStart();
        settings["PresenceKeepAlive:Lease"] = "five minutes";
        using var host = CreateHost(settings);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.That(ex!.Message, Is.EqualTo(
            "Lease 'five minutes' (configuration key 'PresenceKeepAlive:Lease') is not a duration: write TimeSpan text such as 00:05:00 " +
            "or an ISO 8601 duration such as PT5M."));
    }

    private static string Pad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - (s.Length % 4)) % 4);
    }
}
