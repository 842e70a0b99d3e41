using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using PresenceKeepAlive.Protocol.Internal;
using RichardSzalay.MockHttp;

namespace PresenceKeepAlive.Tests.Diagnostics;

public class SecretRedactionTests
{
    private const string Token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.token-value-that-must-not-leak";
    private const string Secret = "client-secret-that-must-not-leak";

    [Test]
    public async Task Logs_AtTraceLevelThroughTheWholePipeline_NeverContainTokenSecretOrAuthorizationValue()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, "https://graph.microsoft.com/v1.0/users/adele%40contoso.com/presence/setPresence")
            .Respond(HttpStatusCode.OK);
        mock.When(HttpMethod.Post, "https://graph.microsoft.com/v1.0/users/alex%40contoso.com/presence/setPresence")
            .Respond(HttpStatusCode.Forbidden, "application/json",
                "{\"error\":{\"code\":\"Forbidden\",\"message\":\"\",\"innerError\":{\"request-id\":\"r-1\",\"client-request-id\":\"c-1\"}}}");
        using var loggers = new FakeLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(loggers).SetMinimumLevel(LogLevel.Trace));
        services.AddPresenceSession(o =>
            {
                o.ClientId = "11111111-2222-3333-4444-555555555555";
                o.TenantId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
                o.ClientSecret = Secret;
                o.Credential = new FixedTokenCredential(Token);
            })
            .HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => mock);
        await using var provider = services.BuildServiceProvider();
        var protocol = provider.GetRequiredService<IPresenceProtocol>();

        await protocol.SetPresenceAsync("adele@contoso.com", PresenceState.BusyInACall, CancellationToken.None);
        var failure = await Assert.ThrowsAsync<PresenceRequestException>(
            () => protocol.SetPresenceAsync("alex@contoso.com", PresenceState.Available, CancellationToken.None));

        var records = loggers.Collector.GetSnapshot();
        var text = string.Join('\n', records.Select(r => r.Message + " " + r.Exception));
        Assert.Multiple(() =>
        {
            // The run must have logged the request itself, or the assertions below prove nothing.
            Assert.That(records, Has.Some.Matches<FakeLogRecord>(r => r?.Message?.Contains("setPresence", StringComparison.Ordinal) == true));
            Assert.That(text, Does.Not.Contain("token-value-that-must-not-leak"));
            Assert.That(text, Does.Not.Contain(Secret));
            Assert.That(text, Does.Not.Contain("Bearer "));
            Assert.That(failure!.Message, Does.Not.Contain("token-value-that-must-not-leak"));
            Assert.That(failure.Message, Does.Contain("Presence.ReadWrite.All"));
        });
    }
}
