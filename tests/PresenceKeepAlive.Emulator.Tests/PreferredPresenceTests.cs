using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class PreferredPresenceTests
{
    [Test]
    public async Task SetUserPreferredPresence_WithSession_BeatsEverySession()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "DoNotDisturb", "Presenting", "PT1H");

        using var response = await SetPreferredAsync(sut, user, "Away", "Away");

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Away/Away"));
    }

    [Test]
    public async Task SetUserPreferredPresence_WithoutSession_TakesEffectOnlyOnceASessionExists()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();

        using (var response = await SetPreferredAsync(sut, user, "DoNotDisturb", "DoNotDisturb"))
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(200));
        }

        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Offline/Offline"));
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Available", "Available");
        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("DoNotDisturb/DoNotDisturb"));
    }

    [TestCase("Available", "Available")]
    [TestCase("Busy", "Busy")]
    [TestCase("DoNotDisturb", "DoNotDisturb")]
    [TestCase("BeRightBack", "BeRightBack")]
    [TestCase("Away", "Away")]
    [TestCase("Offline", "OffWork")]
    public async Task SetUserPreferredPresence_EachSupportedPair_IsShown(string availability, string activity)
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Busy", "InACall");

        using var response = await SetPreferredAsync(sut, user, availability.ToLowerInvariant(), activity);

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo($"{availability}/{activity}"));
    }

    [TestCase("Busy", "InACall")]
    [TestCase("DoNotDisturb", "Presenting")]
    [TestCase("Offline", "Offline")]
    public async Task SetUserPreferredPresence_UnsupportedPair_Returns400InvalidArgumentListingAllowedPairs(string availability, string activity)
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await SetPreferredAsync(sut, EmulatorHarness.NewId(), availability, activity);
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("InvalidArgument"));
        Assert.That(error.Message, Does.Contain("BeRightBack/BeRightBack").And.Contain("Offline/OffWork"));
    }

    [TestCase("Busy", "Busy", 1)]
    [TestCase("DoNotDisturb", "DoNotDisturb", 1)]
    [TestCase("Away", "Away", 7)]
    [TestCase("BeRightBack", "BeRightBack", 7)]
    public async Task SetUserPreferredPresence_WithoutExpiration_ExpiresAfterGraphDefault(string availability, string activity, int days)
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var session = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, session, "Available", "Available", "PT4H");
        using (await SetPreferredAsync(sut, user, availability, activity))
        {
        }

        sut.Time.Advance(TimeSpan.FromDays(days) - TimeSpan.FromMinutes(1));
        await sut.SetPresenceOkAsync(user, session, "Available", "Available", "PT4H");
        var beforeExpiry = await sut.GetPresenceAsync(user);
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        var afterExpiry = await sut.GetPresenceAsync(user);

        Assert.That(beforeExpiry, Is.EqualTo($"{availability}/{activity}"));
        Assert.That(afterExpiry, Is.EqualTo("Available/Available"));
    }

    [Test]
    public async Task SetUserPreferredPresence_WithExpirationDuration_ExpiresThen()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "DoNotDisturb", "Presenting", "PT4H");

        using var response = await sut.PostAsync($"users/{user}/presence/setUserPreferredPresence", "{\"availability\":\"Busy\",\"activity\":\"Busy\",\"expirationDuration\":\"PT10M\"}");
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        sut.Time.Advance(TimeSpan.FromMinutes(4));
        var during = sut.Presence(user);
        sut.Time.Advance(TimeSpan.FromMinutes(6));

        Assert.That(during, Is.EqualTo("Busy/Busy"));
        Assert.That(sut.Presence(user), Is.EqualTo("DoNotDisturb/Presenting"));
    }

    [Test]
    public async Task ClearUserPreferredPresence_AfterPreferred_RestoresSessionPresence()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Busy", "InAConferenceCall");
        using (await SetPreferredAsync(sut, user, "Offline", "OffWork"))
        {
        }

        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Offline/OffWork"));

        using var response = await sut.PostAsync($"users/{user}/presence/clearUserPreferredPresence", "{}");

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Busy/InAConferenceCall"));
    }

    [Test]
    public async Task ClearUserPreferredPresence_UserWithoutState_Returns200()
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.Client.PostAsync($"users/{EmulatorHarness.NewId()}/presence/clearUserPreferredPresence", content: null);

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
    }

    private static Task<HttpResponseMessage> SetPreferredAsync(EmulatorHarness sut, string user, string availability, string activity) =>
        sut.PostAsync($"users/{user}/presence/setUserPreferredPresence", $"{{\"availability\":\"{availability}\",\"activity\":\"{activity}\"}}");
}
