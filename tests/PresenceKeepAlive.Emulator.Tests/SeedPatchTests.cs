using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class SeedPatchTests
{
    [TestCase("Available", "Available")]
    [TestCase("Busy", "InACall")]
    [TestCase("Busy", "InAConferenceCall")]
    [TestCase("Away", "Away")]
    public async Task PatchPresence_SeedPair_Returns200AndSetsPresence(string availability, string activity)
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();

        using var response = await sut.PatchAsync(user, availability, activity);

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo($"{availability}/{activity}"));
        Assert.That(sut.Emulator.GetSessions(user).Single().Protocol, Is.EqualTo(EmulatedSessionProtocol.SeedPatch));
    }

    [Test]
    public async Task PatchPresence_SameAppTwiceAndAnotherApp_OneSessionPerApp()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        using var otherApp = EmulatorHarness.CreateClient(sut.Emulator.GraphV1Url, Jwt.WithClaims("{\"appid\":\"other-app\"}"));

        using (await sut.PatchAsync(user, "Available", "Available"))
        using (await sut.PatchAsync(user, "Busy", "InACall"))
        using (await sut.PatchAsync(user, "Away", "Away", otherApp))
        {
        }

        var sessions = sut.Emulator.GetSessions(user);
        Assert.That(sessions, Has.Count.EqualTo(2));
        Assert.That(sessions.Select(s => s.SessionId), Has.Some.EqualTo("seed:other-app"));
        Assert.That(sessions.Select(s => s.SessionId), Has.None.Contain(EmulatorHarness.Token), "raw tokens must not leak into state");
        Assert.That(sut.Presence(user), Is.EqualTo("Busy/InACall"));
    }

    [Test]
    public async Task PatchPresence_OfflineOffline_SignsOffOnlyThatAppsSession()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Away", "Away", "PT1H");
        using (await sut.PatchAsync(user, "Busy", "InACall"))
        {
        }

        using var response = await sut.PatchAsync(user, "offline", "offline");

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(sut.Presence(user), Is.EqualTo("Away/Away"));
        Assert.That(sut.Emulator.GetSessions(user).Single().Protocol, Is.EqualTo(EmulatedSessionProtocol.SetPresence));
    }

    [Test]
    public async Task PatchPresence_OfflineWithoutSession_Returns200()
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.PatchAsync(EmulatorHarness.NewId(), "Offline", "Offline");

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
    }

    [TestCase("DoNotDisturb", "Presenting")]
    [TestCase("Busy", "Busy")]
    public async Task PatchPresence_NotASeedPair_Returns400InvalidArgument(string availability, string activity)
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.PatchAsync(EmulatorHarness.NewId(), availability, activity);
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("InvalidArgument"));
        Assert.That(error.Message, Does.Contain("Offline/Offline"));
    }

    [Test]
    public async Task PatchPresence_GraphMode_FadesLikeGraphAndEndsOnThirdTimeout()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        using (await sut.PatchAsync(user, "Available", "Available"))
        {
        }

        var stages = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            sut.Time.Advance(TimeSpan.FromMinutes(5));
            stages.Add(sut.Presence(user));
        }

        Assert.That(stages, Is.EqualTo(new[] { "Available/AvailableInactive", "Away/Away", "Offline/Offline" }));
    }

    [Test]
    public async Task PatchPresence_OnBetaPath_IsServed()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.Mode = PresenceEmulatorMode.Seed);
        var user = EmulatorHarness.NewId();
        using var beta = EmulatorHarness.CreateClient(sut.Emulator.GraphBetaUrl, EmulatorHarness.Token);

        using var response = await sut.PatchAsync(user, "Busy", "InAConferenceCall", beta);

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(sut.Presence(user), Is.EqualTo("Busy/InAConferenceCall"));
        Assert.That(sut.Emulator.Counters.GetCount(EmulatorOperation.PatchPresence), Is.EqualTo(1));
    }
}
