using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class AuthenticationTests
{
    [TestCase(null)]
    [TestCase("Basic dXNlcjpwYXNz")]
    [TestCase("Bearer")]
    [TestCase("Bearer    ")]
    public async Task Request_WithoutBearerToken_Returns401InvalidAuthenticationToken(string? authorization)
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        using var client = EmulatorHarness.CreateClient(sut.Emulator.GraphV1Url, token: null);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"users/{user}/presence/setPresence")
        {
            Content = EmulatorHarness.Json($"{{\"sessionId\":\"{EmulatorHarness.NewId()}\",\"availability\":\"Available\",\"activity\":\"Available\"}}"),
        };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request);
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(401));
        Assert.That(error.Code, Is.EqualTo("InvalidAuthenticationToken"));
        Assert.That(sut.Presence(user), Is.EqualTo("Offline/Offline"));
        Assert.That(sut.Emulator.Counters.UnauthorizedRequests, Is.EqualTo(1));
    }

    [Test]
    public async Task Request_WithoutBearerWhenNotRequired_IsServed()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.RequireBearerToken = false);
        using var client = EmulatorHarness.CreateClient(sut.Emulator.GraphV1Url, token: null);

        using var response = await client.GetAsync($"users/{EmulatorHarness.NewId()}/presence");

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
    }

    [Test]
    public async Task ErrorResponse_WithClientRequestId_EchoesItAndCarriesRequestIdInHeadersAndBody()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        sut.Time.Advance(TimeSpan.FromSeconds(42));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"users/{EmulatorHarness.NewId()}/presence/setPresence")
        {
            Content = EmulatorHarness.Json($"{{\"sessionId\":\"{EmulatorHarness.NewId()}\",\"availability\":\"Busy\",\"activity\":\"Busy\"}}"),
        };
        request.Headers.Add("client-request-id", "my-correlation-id");

        using var response = await sut.Client.SendAsync(request);
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That(error.ClientRequestId, Is.EqualTo("my-correlation-id"));
        Assert.That(response.Headers.GetValues("client-request-id").Single(), Is.EqualTo("my-correlation-id"));
        Assert.That(Guid.TryParse(error.RequestId, out _), Is.True);
        Assert.That(response.Headers.GetValues("request-id").Single(), Is.EqualTo(error.RequestId));
        Assert.That(error.Date, Is.EqualTo("2026-01-05T09:00:42"));
    }

    [Test]
    public async Task Response_WithoutClientRequestId_UsesRequestIdForBoth()
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.PostAsync($"users/{EmulatorHarness.NewId()}/presence/setPresence", "{");
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That(error.ClientRequestId, Is.EqualTo(error.RequestId));
        Assert.That(response.Headers.GetValues("client-request-id").Single(), Is.EqualTo(error.RequestId));
    }
}
