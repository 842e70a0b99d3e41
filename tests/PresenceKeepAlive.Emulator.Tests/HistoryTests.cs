using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class HistoryTests
{
    [Test]
    public async Task GetHistory_UnrefreshedAvailableSession_RecordsEachFadeAndExpiryAtItsEmulatedTime()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Available", "Available", "PT12M");

        // One read long after every transition: the history must still hold each stage at its exact time.
        sut.Time.Advance(TimeSpan.FromHours(1));
        var history = sut.Emulator.GetHistory(user);

        var start = EmulatorHarness.Start;
        Assert.That(history.Select(h => (h.Timestamp, h.Availability + "/" + h.Activity)), Is.EqualTo(new[]
        {
            (start, "Available/Available"),
            (start.AddMinutes(5), "Available/AvailableInactive"),
            (start.AddMinutes(10), "Away/Away"),
            (start.AddMinutes(12), "Offline/Offline"),
        }));
        Assert.That(history[0].PreviousAvailability + "/" + history[0].PreviousActivity, Is.EqualTo("Offline/Offline"));
        Assert.That(history.Select(h => h.UserId), Is.All.EqualTo(user));
    }

    [Test]
    public async Task GetHistory_RefreshWithSameState_RecordsNoChange()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var session = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, session, "Busy", "InACall", "PT1H");
        sut.Time.Advance(TimeSpan.FromMinutes(2));
        await sut.SetPresenceOkAsync(user, session, "Busy", "InACall", "PT1H");
        sut.Time.Advance(TimeSpan.FromMinutes(2));
        await sut.SetPresenceOkAsync(user, session, "Busy", "InAConferenceCall", "PT1H");

        var history = sut.Emulator.GetHistory(user);

        Assert.That(history.Select(h => h.Activity), Is.EqualTo(new[] { "InACall", "InAConferenceCall" }));
        Assert.That(history[1].Timestamp, Is.EqualTo(EmulatorHarness.Start.AddMinutes(4)));
    }

    [Test]
    public async Task GetHistory_AllUsers_IsOrderedByEmulatedTime()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var first = EmulatorHarness.NewId();
        var second = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(first, EmulatorHarness.NewId(), "Busy", "InACall", "PT10M");
        sut.Time.Advance(TimeSpan.FromMinutes(3));
        await sut.SetPresenceOkAsync(second, EmulatorHarness.NewId(), "Away", "Away", "PT5M");
        sut.Time.Advance(TimeSpan.FromMinutes(30));

        var history = sut.Emulator.GetHistory();

        Assert.That(history.Select(h => (h.UserId, h.Timestamp - EmulatorHarness.Start, h.Availability)), Is.EqualTo(new[]
        {
            (first, TimeSpan.Zero, "Busy"),
            (second, TimeSpan.FromMinutes(3), "Away"),
            (second, TimeSpan.FromMinutes(8), "Offline"),
            (first, TimeSpan.FromMinutes(10), "Offline"),
        }));
    }

    [Test]
    public async Task GetHistory_MaxHistoryPerUser_KeepsOnlyTheNewest()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.MaxHistoryPerUser = 2);
        var user = EmulatorHarness.NewId();
        var session = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, session, "Available", "Available");
        await sut.SetPresenceOkAsync(user, session, "Away", "Away");
        await sut.SetPresenceOkAsync(user, session, "Busy", "InACall");

        var history = sut.Emulator.GetHistory(user);

        Assert.That(history.Select(h => h.Availability), Is.EqualTo(new[] { "Away", "Busy" }));
    }
}
