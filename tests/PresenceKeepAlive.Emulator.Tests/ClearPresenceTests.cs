using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class ClearPresenceTests
{
    [Test]
    public async Task ClearPresence_OnlySession_Returns200AndUserIsOffline()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var session = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, session, "Busy", "InACall", "PT1H");

        using var response = await sut.PostAsync($"users/{user}/presence/clearPresence", $"{{\"sessionId\":\"{session}\"}}");

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Offline/Offline"));
        Assert.That(sut.Emulator.GetSessions(user), Is.Empty);
    }

    [Test]
    public async Task ClearPresence_OneOfTwoSessions_KeepsTheOther()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var busy = EmulatorHarness.NewId();
        var available = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, busy, "Busy", "InACall", "PT1H");
        await sut.SetPresenceOkAsync(user, available, "Available", "Available", "PT1H");

        using var response = await sut.PostAsync($"users/{user}/presence/clearPresence", $"{{\"sessionId\":\"{busy}\"}}");

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Available/Available"));
        Assert.That(sut.Emulator.GetSessions(user).Select(s => s.SessionId), Is.EqualTo(new[] { available }));
    }

    [Test]
    public async Task ClearPresence_UnknownSession_Returns404NotFound()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Busy", "InACall");

        using var response = await sut.PostAsync($"users/{user}/presence/clearPresence", $"{{\"sessionId\":\"{EmulatorHarness.NewId()}\"}}");
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(404));
        Assert.That(error.Code, Is.EqualTo("NotFound"));
        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Busy/InACall"));
    }

    [Test]
    public async Task ClearPresence_SessionWhoseLeaseEnded_Returns404NotFound()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var session = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, session, "Busy", "InACall", "PT5M");
        sut.Time.Advance(TimeSpan.FromMinutes(5));

        using var response = await sut.PostAsync($"users/{user}/presence/clearPresence", $"{{\"sessionId\":\"{session}\"}}");

        Assert.That((int)response.StatusCode, Is.EqualTo(404));
    }

    [Test]
    public async Task ClearPresence_MissingSessionId_Returns400InvalidArgument()
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.PostAsync($"users/{EmulatorHarness.NewId()}/presence/clearPresence", "{}");
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("InvalidArgument"));
    }
}
