using PresenceKeepAlive.Protocol.Internal;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Http.Internal;

namespace PresenceKeepAlive.Tests.Http;

public class PresenceCredentialFactoryTests
{
    private const string LoopbackBaseUrl = "http://127.0.0.1:5080/v1.0";

    [Test]
    public void Create_ExplicitCredentialAndOtherSettings_ReturnsTheExplicitCredential()
    {
        var explicitCredential = new FixedTokenCredential("explicit");
        var options = CreateOptions(o =>
        {
            o.Credential = explicitCredential;
            o.ClientSecret = "secret";
            o.UseManagedIdentity = true;
        });

        Assert.That(CreateSut(options, registered: new FixedTokenCredential("registered")), Is.SameAs(explicitCredential));
    }

    [Test]
    public void Create_ClientSecretAndManagedIdentity_ReturnsClientSecretCredential()
    {
        var options = CreateOptions(o =>
        {
            o.ClientSecret = "secret";
            o.CertificatePath = "/nonexistent/cert.pfx";
            o.UseManagedIdentity = true;
        });

        Assert.That(CreateSut(options, registered: new FixedTokenCredential("registered")), Is.InstanceOf<ClientSecretCredential>());
    }

    [Test]
    public void Create_CertificatePathWithoutPassword_ReturnsClientCertificateCredential()
    {
        var options = CreateOptions(o =>
        {
            o.CertificatePath = "/nonexistent/cert.pem";
            o.UseManagedIdentity = true;
        });

        Assert.That(CreateSut(options, registered: null), Is.InstanceOf<ClientCertificateCredential>());
    }

    [Test]
    public void Create_ManagedIdentityOnly_ReturnsManagedIdentityCredential()
    {
        var options = CreateOptions(o => o.UseManagedIdentity = true);

        Assert.That(CreateSut(options, registered: new FixedTokenCredential("registered")), Is.InstanceOf<ManagedIdentityCredential>());
    }

    [Test]
    public void Create_NoSettingsButRegisteredCredential_ReturnsTheRegisteredOne()
    {
        var registered = new FixedTokenCredential("registered");

        Assert.That(CreateSut(CreateOptions(o => { o.BaseUrl = LoopbackBaseUrl; o.UseConfiguredCredentialOnLoopback = true; }), registered), Is.SameAs(registered));
        Assert.That(CreateSut(CreateOptions(o => o.BaseUrl = LoopbackBaseUrl), registered), Is.TypeOf<DevelopmentTokenCredential>(),
            "on loopback a development token wins over a registered credential unless UseConfiguredCredentialOnLoopback");
    }

    [TestCase("http://127.0.0.1:5080/v1.0")]
    [TestCase("http://localhost:5080/v1.0")]
    [TestCase("http://[::1]:5080/v1.0")]
    public async Task Create_LoopbackBaseUrlAndNoCredential_ReturnsDevelopmentTokenNamingTheClientId(string baseUrl)
    {
        var credential = CreateSut(CreateOptions(o => o.BaseUrl = baseUrl), registered: null);

        Assert.That(credential, Is.InstanceOf<DevelopmentTokenCredential>());
        var token = await credential.GetTokenAsync(new TokenRequestContext(["http://127.0.0.1:5080/.default"]), CancellationToken.None);
        var payload = JsonNode.Parse(Base64UrlDecode(token.Token.Split('.')[1]))!;
        Assert.That(payload["appid"]!.GetValue<string>(), Is.EqualTo(GraphTestHost.ClientId));
    }

    [TestCase(PresenceKeepAliveOptions.GraphV1BaseUrl)]
    [TestCase("https://graph.microsoft.us/v1.0")]
    public void Create_NonLoopbackBaseUrlAndNoCredential_ThrowsNamingTheWaysToConfigureOne(string baseUrl)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => CreateSut(CreateOptions(o => o.BaseUrl = baseUrl), registered: null));

        Assert.That(ex.Message, Does.Contain("ClientSecret").And.Contain("UseManagedIdentity").And.Contain("Credential").And.Contain("TokenCredential"));
    }

    [TestCase("http://127.0.0.1:5080/v1.0", "http://127.0.0.1:5080/v1.0/users/")]
    [TestCase("http://localhost:5080/v1.0", "http://localhost:5080/v1.0/users/")]
    [TestCase("http://[::1]:5080/v1.0", "http://[::1]:5080/v1.0/users/")]
    public async Task SetPresenceAsync_LoopbackBaseUrlWithoutCredential_SendsDevelopmentBearerToken(string baseUrl, string expectedPrefix)
    {
        using var host = GraphTestHost.Create(o =>
        {
            o.Credential = null;
            o.BaseUrl = baseUrl;
        });
        host.RespondAlways(HttpStatusCode.OK);

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);

        var request = host.Requests.Last;
        Assert.That(request.Uri.AbsoluteUri, Does.StartWith(expectedPrefix));
        Assert.That(request.Authorization, Does.StartWith("Bearer ey"));
        var payload = JsonNode.Parse(Base64UrlDecode(request.Authorization!["Bearer ".Length..].Split('.')[1]))!;
        Assert.That(payload["appid"]!.GetValue<string>(), Is.EqualTo(GraphTestHost.ClientId));
    }

    [Test]
    public async Task SetPresenceAsync_TokenIsOnlySentToTheBaseUrlHost()
    {
        // The credential is asked for the base URL's own scope.
        using var host = GraphTestHost.Create(o => o.BaseUrl = "https://graph.microsoft.com/v1.0");
        host.RespondAlways(HttpStatusCode.OK);

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);

        Assert.That(host.Requests.Last.Authorization, Is.EqualTo("Bearer " + GraphTestHost.Token));
        Assert.That(PresenceCredentialFactory.ScopeFor(new Uri("https://graph.microsoft.com/v1.0")), Is.EqualTo("https://graph.microsoft.com/.default"));
    }

    private static TokenCredential CreateSut(PresenceKeepAliveOptions options, TokenCredential? registered) =>
        PresenceCredentialFactory.Create(options, registered, new FakeTimeProvider());

    private static PresenceKeepAliveOptions CreateOptions(Action<PresenceKeepAliveOptions> configure)
    {
        var options = new PresenceKeepAliveOptions { ClientId = GraphTestHost.ClientId, TenantId = GraphTestHost.TenantId };
        configure(options);
        return options;
    }

    private static string Base64UrlDecode(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 += new string('=', (4 - (base64.Length % 4)) % 4);
        return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
    }
}
