using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class AggregationTests
{
    [Test]
    public async Task GetPresence_SeveralSessions_DoNotDisturbBeatsBusyBeatsAvailableBeatsAway()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var away = EmulatorHarness.NewId();
        var available = EmulatorHarness.NewId();
        var busy = EmulatorHarness.NewId();
        var dnd = EmulatorHarness.NewId();
        var seen = new List<string>();

        await sut.SetPresenceOkAsync(user, away, "Away", "Away", "PT1H");
        seen.Add(await sut.GetPresenceAsync(user));
        await sut.SetPresenceOkAsync(user, available, "Available", "Available", "PT1H");
        seen.Add(await sut.GetPresenceAsync(user));
        await sut.SetPresenceOkAsync(user, busy, "Busy", "InAConferenceCall", "PT1H");
        seen.Add(await sut.GetPresenceAsync(user));
        await sut.SetPresenceOkAsync(user, dnd, "DoNotDisturb", "Presenting", "PT1H");
        seen.Add(await sut.GetPresenceAsync(user));

        // Writing a lower state later must not win over a higher one.
        await sut.SetPresenceOkAsync(user, away, "Away", "Away", "PT1H");
        seen.Add(await sut.GetPresenceAsync(user));

        using (await sut.PostAsync($"users/{user}/presence/clearPresence", $"{{\"sessionId\":\"{dnd}\"}}"))
        {
        }

        seen.Add(await sut.GetPresenceAsync(user));

        Assert.That(seen, Is.EqualTo(new[]
        {
            "Away/Away", "Available/Available", "Busy/InAConferenceCall", "DoNotDisturb/Presenting", "DoNotDisturb/Presenting", "Busy/InAConferenceCall",
        }));
    }

    [Test]
    public async Task GetPresence_FadedAvailableAndAwaySessions_InactiveAvailableBeatsAway()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var away = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Available", "Available", "PT1H");
        sut.Time.Advance(TimeSpan.FromMinutes(6));
        await sut.SetPresenceOkAsync(user, away, "Away", "Away", "PT1H");

        Assert.That(sut.Presence(user), Is.EqualTo("Available/AvailableInactive"));
    }

    [Test]
    public async Task GetPresence_BusySessionLeaseEnds_FallsBackToRemainingSession()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var available = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Busy", "InACall", "PT5M");
        await sut.SetPresenceOkAsync(user, available, "Available", "Available", "PT1H");
        var both = sut.Presence(user);

        sut.Time.Advance(TimeSpan.FromMinutes(4));
        await sut.SetPresenceOkAsync(user, available, "Available", "Available", "PT1H");
        sut.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.That(both, Is.EqualTo("Busy/InACall"));
        Assert.That(sut.Presence(user), Is.EqualTo("Available/Available"));
    }

    [Test]
    public async Task GetPresence_PreferredPresenceWhenLastSessionEnds_ShowsOffline()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Busy", "InACall", "PT5M");
        using (await sut.PostAsync($"users/{user}/presence/setUserPreferredPresence", "{\"availability\":\"DoNotDisturb\",\"activity\":\"DoNotDisturb\"}"))
        {
        }

        var withSession = sut.Presence(user);
        sut.Time.Advance(TimeSpan.FromMinutes(5));

        Assert.That(withSession, Is.EqualTo("DoNotDisturb/DoNotDisturb"));
        Assert.That(sut.Presence(user), Is.EqualTo("Offline/Offline"));
    }

    [Test]
    public async Task GetPresence_UserIdsDifferOnlyInCase_AreTheSameUser()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user.ToUpperInvariant(), EmulatorHarness.NewId(), "Busy", "InACall");

        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Busy/InACall"));
    }
}
