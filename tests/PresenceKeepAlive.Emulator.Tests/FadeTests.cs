using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class FadeTests
{
    [Test]
    public async Task GetPresence_AvailableNotRefreshedInGraphMode_FadesToInactiveThenAway()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Available", "Available", "PT1H");

        sut.Time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        var justBefore = await sut.GetPresenceAsync(user);
        sut.Time.Advance(TimeSpan.FromSeconds(1));
        var firstTimeout = await sut.GetPresenceAsync(user);
        sut.Time.Advance(TimeSpan.FromMinutes(5));
        var secondTimeout = await sut.GetPresenceAsync(user);
        sut.Time.Advance(TimeSpan.FromMinutes(30));
        var stillLeased = await sut.GetPresenceAsync(user);

        Assert.That(justBefore, Is.EqualTo("Available/Available"));
        Assert.That(firstTimeout, Is.EqualTo("Available/AvailableInactive"));
        Assert.That(secondTimeout, Is.EqualTo("Away/Away"));
        Assert.That(stillLeased, Is.EqualTo("Away/Away"));
    }

    [Test]
    public async Task GetPresence_LeaseEndsWithoutRefresh_UserIsOfflineAndSessionGone()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Busy", "InACall", "PT30M");

        sut.Time.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(1));
        var beforeExpiry = await sut.GetPresenceAsync(user);
        sut.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.That(beforeExpiry, Is.EqualTo("Busy/InACall"), "Busy does not fade in Graph mode");
        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Offline/Offline"));
        Assert.That(sut.Emulator.GetSessions(user), Is.Empty);
    }

    [Test]
    public async Task SetPresence_RefreshAfterFade_RestoresAvailableAndRestartsTimers()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var session = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, session, "Available", "Available", "PT1H");
        sut.Time.Advance(TimeSpan.FromMinutes(7));
        var faded = await sut.GetPresenceAsync(user);

        await sut.SetPresenceOkAsync(user, session, "Available", "Available", "PT1H");
        var refreshed = await sut.GetPresenceAsync(user);
        sut.Time.Advance(TimeSpan.FromMinutes(4));

        Assert.That(faded, Is.EqualTo("Available/AvailableInactive"));
        Assert.That(refreshed, Is.EqualTo("Available/Available"));
        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Available/Available"));
    }

    [Test]
    public async Task GetSessions_FadedSession_ReportsSetAndCurrentStateWithTimes()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var sessionId = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, sessionId, "Available", "Available", "PT2H");
        sut.Time.Advance(TimeSpan.FromMinutes(6));

        var session = sut.Emulator.GetSessions(user).Single();

        Assert.That(session.SessionId, Is.EqualTo(sessionId));
        Assert.That(session.Protocol, Is.EqualTo(EmulatedSessionProtocol.SetPresence));
        Assert.That(session.Availability + "/" + session.Activity, Is.EqualTo("Available/Available"));
        Assert.That(session.CurrentAvailability + "/" + session.CurrentActivity, Is.EqualTo("Available/AvailableInactive"));
        Assert.That(session.LastRefreshed, Is.EqualTo(EmulatorHarness.Start));
        Assert.That(session.ExpiresAt, Is.EqualTo(EmulatorHarness.Start.AddHours(2)));
    }

    [Test]
    public async Task GetPresence_SeedModeAvailableNotRefreshed_FadesInTheSeedsThreeStages()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.Mode = PresenceEmulatorMode.Seed);
        var user = EmulatorHarness.NewId();
        using (var response = await sut.PatchAsync(user, "Available", "Available"))
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(200));
        }

        var stages = new List<string> { await sut.GetPresenceAsync(user) };
        for (var i = 0; i < 3; i++)
        {
            sut.Time.Advance(TimeSpan.FromMinutes(5));
            stages.Add(await sut.GetPresenceAsync(user));
        }

        Assert.That(stages, Is.EqualTo(new[] { "Available/Available", "Available/AvailableInactive", "Away/Away", "Offline/Offline" }));
        Assert.That(sut.Emulator.GetSessions(user), Is.Empty);
    }

    [Test]
    public async Task GetPresence_SeedModeBusyNotRefreshed_TurnsAwayThenOffline()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.Mode = PresenceEmulatorMode.Seed);
        var user = EmulatorHarness.NewId();
        using (await sut.PatchAsync(user, "Busy", "InACall"))
        {
        }

        sut.Time.Advance(TimeSpan.FromMinutes(5));
        var first = sut.Presence(user);
        sut.Time.Advance(TimeSpan.FromMinutes(5));
        var second = sut.Presence(user);
        sut.Time.Advance(TimeSpan.FromMinutes(5));

        Assert.That(first, Is.EqualTo("Busy/InACall"));
        Assert.That(second, Is.EqualTo("Away/Away"));
        Assert.That(sut.Presence(user), Is.EqualTo("Offline/Offline"));
    }

    [Test]
    public async Task SetPresence_SeedModeWithLongLease_EndsOnThirdMissedTimeout()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.Mode = PresenceEmulatorMode.Seed);
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Available", "Available", "PT4H");

        var session = sut.Emulator.GetSessions(user).Single();
        sut.Time.Advance(TimeSpan.FromMinutes(15));

        Assert.That(session.ExpiresAt, Is.EqualTo(EmulatorHarness.Start.AddMinutes(15)));
        Assert.That(sut.Presence(user), Is.EqualTo("Offline/Offline"));
    }

    [Test]
    public async Task GetPresence_CustomInactivityTimeout_FadesOnThatTimeout()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.InactivityTimeout = TimeSpan.FromMinutes(2));
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Available", "Available", "PT1H");

        sut.Time.Advance(TimeSpan.FromMinutes(2));
        var first = sut.Presence(user);
        sut.Time.Advance(TimeSpan.FromMinutes(2));

        Assert.That(first, Is.EqualTo("Available/AvailableInactive"));
        Assert.That(sut.Presence(user), Is.EqualTo("Away/Away"));
    }

    [Test]
    public async Task GetPresence_TimeScale60_FiveRealSecondsAreFiveEmulatedMinutes()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.TimeScale = 60);
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Available", "Available", "PT1H");

        sut.Time.Advance(TimeSpan.FromSeconds(4.9));
        var before = await sut.GetPresenceAsync(user);
        sut.Time.Advance(TimeSpan.FromSeconds(0.1));
        var after = await sut.GetPresenceAsync(user);

        Assert.That(before, Is.EqualTo("Available/Available"));
        Assert.That(after, Is.EqualTo("Available/AvailableInactive"));
        Assert.That(sut.Emulator.EmulatedNow, Is.EqualTo(EmulatorHarness.Start.AddMinutes(5)));
    }

    [Test]
    public async Task SetPresence_TimeScale60_LeaseIsInEmulatedTime()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.TimeScale = 60);
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Busy", "InACall", "PT1H");

        sut.Time.Advance(TimeSpan.FromSeconds(59));
        var before = sut.Presence(user);
        sut.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.That(before, Is.EqualTo("Busy/InACall"));
        Assert.That(sut.Presence(user), Is.EqualTo("Offline/Offline"));
    }
}
