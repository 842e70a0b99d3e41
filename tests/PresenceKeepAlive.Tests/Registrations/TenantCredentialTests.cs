using System.Text;
using System.Text.Json.Nodes;
using Azure.Core;
using PresenceKeepAlive.Http.Internal;

namespace PresenceKeepAlive.Tests.Registrations;

public class TenantCredentialTests
{
    private const string Tenant = "6f1a2b3c-0000-4000-8000-00000000c001";

    [Test]
    public async Task CreateFor_SharedCredential_AsksForTokensInTheRegistrationsTenant()
    {
        var shared = new TenantRecordingCredential();
        var options = new PresenceKeepAliveOptions { TenantId = Tenant, ClientId = "a1111111-0000-4000-8000-000000000001", Credential = shared };

        var credential = PresenceCredentialFactory.CreateFor(options, app: null, registered: null, TimeProvider.System);
        await credential.GetTokenAsync(new TokenRequestContext(["https://graph.microsoft.com/.default"], claims: "c"), CancellationToken.None);
        credential.GetToken(new TokenRequestContext(["https://graph.microsoft.com/.default"]), CancellationToken.None);

        Assert.That(shared.Tenants, Is.EqualTo(new[] { Tenant, Tenant }));
        Assert.That(shared.Claims[0], Is.EqualTo("c"), "the rest of the request is passed on");
    }

    [Test]
    public void Create_UnnamedRegistrationsCredential_IsUsedAsItIs()
    {
        var shared = new TenantRecordingCredential();
        var options = new PresenceKeepAliveOptions { TenantId = Tenant, ClientId = "a1111111-0000-4000-8000-000000000001", Credential = shared };

        Assert.That(PresenceCredentialFactory.Create(options, registered: null, TimeProvider.System), Is.SameAs(shared));
    }

    [Test]
    public void CreateFor_PoolAppOnLoopback_GetsADevelopmentTokenNamingTheAppAndTenant()
    {
        var options = new PresenceKeepAliveOptions { TenantId = Tenant, ClientId = "a1111111-0000-4000-8000-000000000001", BaseUrl = "http://127.0.0.1:5080/v1.0" };
        var app = new PresenceAppRegistration { ClientId = "a2222222-0000-4000-8000-000000000002" };

        var token = PresenceCredentialFactory.CreateFor(options, app, registered: null, TimeProvider.System)
            .GetToken(new TokenRequestContext(["http://127.0.0.1:5080/.default"]), CancellationToken.None).Token;
        var payload = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(token.Split('.')[1]))))!;

        Assert.That((string?)payload["appid"], Is.EqualTo(app.ClientId));
        Assert.That((string?)payload["tid"], Is.EqualTo(Tenant));
    }

    [Test]
    public void CreateFor_PoolAppWithItsOwnSecret_DoesNotUseTheRegistrationsSecret()
    {
        var options = new PresenceKeepAliveOptions { TenantId = Tenant, ClientId = "a1111111-0000-4000-8000-000000000001", ClientSecret = "registration-secret" };
        var app = new PresenceAppRegistration { ClientId = "a2222222-0000-4000-8000-000000000002", ClientSecret = "app-secret" };

        var settings = CredentialSettings.From(options, app);

        Assert.That(settings.ClientSecret, Is.EqualTo("app-secret"));
        Assert.That(settings.ClientId, Is.EqualTo(app.ClientId));
        Assert.That(settings.TenantId, Is.EqualTo(Tenant));
        Assert.That(PresenceCredentialFactory.CreateFor(options, app, null, TimeProvider.System), Is.InstanceOf<Azure.Identity.ClientSecretCredential>());
    }

    [Test]
    public void CreateFor_PoolAppWithoutCredentialOfItsOwn_NeverGetsAnotherAppsSecret()
    {
        var options = new PresenceKeepAliveOptions { TenantId = Tenant, ClientId = "a1111111-0000-4000-8000-000000000001", ClientSecret = "registration-secret" };

        var settings = CredentialSettings.From(options, new PresenceAppRegistration { ClientId = "a2222222-0000-4000-8000-000000000002" });

        Assert.That(settings.ClientSecret, Is.Null);
        Assert.Throws<InvalidOperationException>(() => PresenceCredentialFactory.CreateFor(options, new PresenceAppRegistration { ClientId = "a2222222-0000-4000-8000-000000000002" }, null, TimeProvider.System));
    }

    private static string Pad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - (s.Length % 4)) % 4);
    }

    private sealed class TenantRecordingCredential : TokenCredential
    {
        public List<string?> Tenants { get; } = [];

        public List<string?> Claims { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Tenants.Add(requestContext.TenantId);
            Claims.Add(requestContext.Claims);
            return new AccessToken("t", DateTimeOffset.MaxValue);
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));
    }
}
