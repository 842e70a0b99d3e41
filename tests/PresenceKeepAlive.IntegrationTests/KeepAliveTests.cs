using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.IntegrationTests.Infrastructure;

namespace PresenceKeepAlive.IntegrationTests;

/// <summary>Presence set through <see cref="IPresenceSessionManager"/> holds across many inactivity timeouts, and fades once refreshes stop.</summary>
public class KeepAliveTests
{
    private static readonly string[] FadedActivities = ["AvailableInactive", "Away", "Offline"];

    [Test]
    public async Task SetAsync_ThreeUsersForAnHour_EmulatorShowsEachStateAtEveryStepWithNoFade()
    {
        await using var harness = await IntegrationHarness.StartAsync();
        var desired = new Dictionary<string, PresenceState>
        {
            [Users.Adele] = PresenceState.BusyInACall,
            [Users.Alex] = PresenceState.Available,
            [Users.Megan] = PresenceState.DoNotDisturbPresenting,
        };
        foreach (var (userId, state) in desired)
        {
            await IntegrationHarness.WithinCapAsync(harness.Manager.GetOrCreate(userId).SetAsync(state), $"{userId} to be set");
        }

        var mismatches = new List<string>();
        var steps = 0;
        await harness.AdvanceAsync(TimeSpan.FromMinutes(60), afterStep: () =>
        {
            steps++;
            foreach (var (userId, state) in desired)
            {
                var shown = harness.Emulator.GetPresence(userId);
                if (shown.Availability != state.Availability || shown.Activity != state.Activity)
                {
                    mismatches.Add($"{harness.Now:HH:mm:ss} {userId}: {IntegrationHarness.Describe(shown)}, wanted {state}");
                }
            }
        });

        // Each refresh is due 25 s before the 5-minute deadline (the default lease is 5 minutes too, so Busy and Away
        // refresh like Available): one every 4:35, so 60 minutes hold 13 refreshes after the first set.
        Assert.Multiple(() =>
        {
            Assert.That(steps, Is.GreaterThanOrEqualTo(120), "the hour was walked in steps of at most 30 s");
            Assert.That(mismatches, Is.Empty);
            foreach (var (userId, state) in desired)
            {
                var history = harness.Emulator.GetHistory(userId);
                Assert.That(history.Select(h => h.Activity), Has.None.AnyOf(FadedActivities), $"{userId}'s history");
                Assert.That(history, Has.Count.EqualTo(1), $"{userId}'s presence changed once: when it was set");
                Assert.That(harness.Requests.Count(userId, "/setPresence"), Is.EqualTo(14), $"{userId}'s setPresence requests");
                Assert.That(harness.Manager.GetOrCreate(userId).Status, Is.EqualTo(PresenceSessionStatus.Active));
            }

            Assert.That(harness.Emulator.Counters.GetCount(EmulatorOperation.SetPresence), Is.EqualTo(42));
            Assert.That(harness.Requests.Exchanges.Select(e => e.StatusCode), Is.All.EqualTo(200));
        });
    }

    [Test]
    public async Task DisposeAsync_WithoutSignOff_EmulatorFadesThroughInactiveAndAwayToOfflineWhenTheLeaseEnds()
    {
        await using var harness = await IntegrationHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Lease"] = "00:15:00",
            ["SignOffOnDispose"] = "false",
        });
        var kept = harness.Manager.GetOrCreate(Users.Adele);
        var abandoned = harness.Manager.GetOrCreate(Users.Alex);
        await IntegrationHarness.WithinCapAsync(kept.SetAsync(PresenceState.Available), "Adele to be set");
        await IntegrationHarness.WithinCapAsync(abandoned.SetAsync(PresenceState.Available), "Alex to be set");
        await harness.AdvanceAsync(TimeSpan.FromMinutes(7));

        var lastRefresh = harness.Emulator.GetSessions(Users.Alex).Single().LastRefreshed;
        Assert.That(abandoned.LastConfirmedAt, Is.EqualTo(lastRefresh), "the library's last confirmation is the emulator's last refresh");
        var sentBefore = harness.Emulator.Counters.TotalRequests;
        await abandoned.DisposeAsync();
        Assert.Multiple(() =>
        {
            Assert.That(harness.Emulator.Counters.TotalRequests, Is.EqualTo(sentBefore), "no sign-off was sent");
            Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Alex)), Is.EqualTo("Available/Available"));
        });

        var seen = new List<(TimeSpan SinceRefresh, string Presence)>();
        await harness.AdvanceAsync(TimeSpan.FromMinutes(20), afterStep: () =>
            seen.Add((harness.Now - lastRefresh, IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Alex)))));

        string ShownAt(double minutes) => seen.Last(s => s.SinceRefresh <= TimeSpan.FromMinutes(minutes)).Presence;
        var fades = harness.Emulator.GetHistory(Users.Alex).Skip(1).Select(h => (h.Timestamp - lastRefresh, h.Availability + "/" + h.Activity));
        Assert.Multiple(() =>
        {
            Assert.That(ShownAt(4.9), Is.EqualTo("Available/Available"));
            Assert.That(ShownAt(9.9), Is.EqualTo("Available/AvailableInactive"));
            Assert.That(ShownAt(14.9), Is.EqualTo("Away/Away"));
            Assert.That(ShownAt(20), Is.EqualTo("Offline/Offline"));
            Assert.That(fades, Is.EqualTo(new[]
            {
                (TimeSpan.FromMinutes(5), "Available/AvailableInactive"),
                (TimeSpan.FromMinutes(10), "Away/Away"),
                (TimeSpan.FromMinutes(15), "Offline/Offline"),
            }));
            Assert.That(harness.Emulator.GetSessions(Users.Alex), Is.Empty, "the lease ended the session");
            Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Adele)), Is.EqualTo("Available/Available"), "the session still kept did not fade");
            Assert.That(harness.Emulator.GetHistory(Users.Adele), Has.Count.EqualTo(1));
        });
    }
}
