using Microsoft.Graph;
using Microsoft.Graph.Models;
using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

/// <summary>setStatusMessage, shown in GET presence, and the delegated /me paths.</summary>
public class StatusMessageAndMeTests
{
    [Test]
    public async Task SetStatusMessage_WithExpiry_ShownInPresenceUntilItExpires()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var expiry = EmulatorHarness.Start.AddHours(1).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

        using var response = await sut.PostAsync(
            $"users/{user}/presence/setStatusMessage",
            $"{{\"statusMessage\":{{\"message\":{{\"content\":\"Back at 3\",\"contentType\":\"text\"}},\"expiryDateTime\":{{\"dateTime\":\"{expiry}\",\"timeZone\":\"UTC\"}}}}}}");
        var before = await StatusMessageAsync(sut, user);
        sut.Time.Advance(TimeSpan.FromHours(1));
        var after = await StatusMessageAsync(sut, user);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(200));
            Assert.That(before, Is.EqualTo("Back at 3"));
            Assert.That(after, Is.Null, "expired");
            Assert.That(sut.Emulator.Counters.GetCount(EmulatorOperation.SetStatusMessage), Is.EqualTo(1));
        }
    }

    [TestCase("html", "only text is")]
    [TestCase("text", "at most 280")]
    public async Task SetStatusMessage_NotText_Or_TooLong_Returns400InvalidArgument(string contentType, string expected)
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var content = contentType == "text" ? new string('x', 281) : "<b>hi</b>";

        using var response = await sut.PostAsync(
            $"users/{EmulatorHarness.NewId()}/presence/setStatusMessage",
            $"{{\"statusMessage\":{{\"message\":{{\"content\":\"{content}\",\"contentType\":\"{contentType}\"}}}}}}");
        var error = await EmulatorHarness.ReadErrorAsync(response);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(400));
            Assert.That(error.Code, Is.EqualTo("InvalidArgument"));
            Assert.That(error.Message, Does.Contain(expected));
        }
    }

    [Test]
    public async Task MePaths_DelegatedToken_ActOnTheUserItNames()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        using var client = EmulatorHarness.CreateClient(sut.Emulator.GraphV1Url, Jwt.WithClaims($"{{\"oid\":\"{user}\",\"azp\":\"{EmulatorHarness.NewId()}\"}}"));

        using var set = await client.PostAsync("me/presence/setPresence", EmulatorHarness.Json($"{{\"sessionId\":\"{EmulatorHarness.NewId()}\",\"availability\":\"Busy\",\"activity\":\"InACall\"}}"));
        using var preferred = await client.PostAsync("me/presence/setUserPreferredPresence", EmulatorHarness.Json("{\"availability\":\"BeRightBack\",\"activity\":\"BeRightBack\"}"));
        var mine = await client.GetStringAsync("me/presence");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((int)set.StatusCode, Is.EqualTo(200));
            Assert.That((int)preferred.StatusCode, Is.EqualTo(200));
            Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("BeRightBack/BeRightBack"));
            Assert.That(mine, Does.Contain("\"availability\":\"BeRightBack\""));
        }
    }

    [Test]
    public async Task MePaths_AppOnlyToken_Return400AsGraphDoes()
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.PostAsync("me/presence/setUserPreferredPresence", "{\"availability\":\"Away\",\"activity\":\"Away\"}");
        var error = await EmulatorHarness.ReadErrorAsync(response);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(400));
            Assert.That(error.Message, Does.Contain("only valid with delegated authentication"));
        }
    }

    [Test]
    public async Task GraphServiceClient_SetStatusMessageAndMePresence_AreAccepted()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        using var httpClient = new HttpClient();
        var graph = new GraphServiceClient(
            httpClient, new FixedTokenAuthenticationProvider(Jwt.WithClaims($"{{\"upn\":\"{user}\"}}")), sut.Emulator.GraphV1Url.ToString().TrimEnd('/'));

        await graph.Users[user].Presence.SetStatusMessage.PostAsync(new Microsoft.Graph.Users.Item.Presence.SetStatusMessage.SetStatusMessagePostRequestBody
        {
            StatusMessage = new PresenceStatusMessage { Message = new ItemBody { Content = "Lunch", ContentType = BodyType.Text } },
        });
        await graph.Me.Presence.SetPresence.PostAsync(new Microsoft.Graph.Me.Presence.SetPresence.SetPresencePostRequestBody
        {
            SessionId = EmulatorHarness.NewId(),
            Availability = "Away",
            Activity = "Away",
            ExpirationDuration = TimeSpan.FromMinutes(10),
        });
        var mine = await graph.Me.Presence.GetAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(mine?.Availability, Is.EqualTo("Away"));
            Assert.That(mine?.StatusMessage?.Message?.Content, Is.EqualTo("Lunch"));
        }
    }

    private static async Task<string?> StatusMessageAsync(EmulatorHarness sut, string user)
    {
        using var response = await sut.Client.GetAsync($"users/{user}/presence");
        var root = await EmulatorHarness.ReadJsonAsync(response);
        return root.TryGetProperty("statusMessage", out var message) ? message.GetProperty("message").GetProperty("content").GetString() : null;
    }
}
