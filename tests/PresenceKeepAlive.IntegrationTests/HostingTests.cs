using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.IntegrationTests.Infrastructure;

namespace PresenceKeepAlive.IntegrationTests;

/// <summary>The worker of the README's quick start: configured sessions set on start, kept alive, signed off on stop.</summary>
public class HostingTests
{
    private static readonly Dictionary<string, string?> ConfiguredSessions = new()
    {
        ["Sessions:0:UserId"] = Users.Adele,
        ["Sessions:0:Availability"] = "Busy",
        ["Sessions:0:Activity"] = "InACall",
        ["Sessions:1:UserId"] = Users.Alex,
        ["Sessions:1:Availability"] = "available",
        ["Sessions:1:Activity"] = "available",
        ["Sessions:2:UserId"] = Users.Megan,
        ["Sessions:2:Availability"] = "DoNotDisturb",
        ["Sessions:2:Activity"] = "Presenting",
    };

    [Test]
    public async Task StopAsync_AfterKeepingConfiguredSessions_LeavesEveryUserOfflineWithNoSession()
    {
        await using var harness = await IntegrationHarness.StartAsync(settings: ConfiguredSessions);
        await harness.WaitForPresenceAsync(Users.Adele, "Busy", "InACall");
        await harness.WaitForPresenceAsync(Users.Alex, "Available", "Available");
        await harness.WaitForPresenceAsync(Users.Megan, "DoNotDisturb", "Presenting");

        await harness.AdvanceAsync(TimeSpan.FromMinutes(12));
        var keptThrough = new[] { Users.Adele, Users.Alex, Users.Megan }.Select(u => harness.Emulator.GetHistory(u).Count).ToArray();
        var shownBeforeStop = new[] { Users.Adele, Users.Alex, Users.Megan }.Select(u => IntegrationHarness.Describe(harness.Emulator.GetPresence(u))).ToArray();

        await harness.StopHostAsync();

        Assert.Multiple(() =>
        {
            Assert.That(shownBeforeStop, Is.EqualTo(new[] { "Busy/InACall", "Available/Available", "DoNotDisturb/Presenting" }), "kept alive by the hosted service");
            Assert.That(keptThrough, Is.All.EqualTo(1), "no fade before stopping");
            foreach (var user in new[] { Users.Adele, Users.Alex, Users.Megan })
            {
                Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(user)), Is.EqualTo("Offline/Offline"), user);
                Assert.That(harness.Emulator.GetSessions(user), Is.Empty, user);
                Assert.That(harness.Requests.Count(user, "/clearPresence"), Is.EqualTo(1), user);
                Assert.That(harness.Emulator.GetHistory(user)[^1].Timestamp, Is.EqualTo(harness.Emulator.EmulatedNow), "Offline at once, not when a lease ended");
            }

            Assert.That(harness.Manager.Sessions.Select(s => s.Status), Is.All.EqualTo(PresenceSessionStatus.Cleared));
            Assert.That(harness.Emulator.Counters.GetCount(EmulatorOperation.ClearPresence), Is.EqualTo(3));
        });
    }
}
