using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.IntegrationTests.Infrastructure;

namespace PresenceKeepAlive.IntegrationTests;

/// <summary>The seed's beta-draft PATCH protocol (opt-in) end to end against the emulator in seed mode.</summary>
public class SeedProtocolTests
{
    [Test]
    public async Task PatchProtocol_InSeedMode_KeepsAliveSignsOffAndFadesInThreeStagesWithoutRefreshes()
    {
        await using var harness = await IntegrationHarness.StartAsync(
            o => o.Mode = PresenceEmulatorMode.Seed,
            new Dictionary<string, string?> { ["Protocol"] = "Patch", ["SignOffOnDispose"] = "false" });
        var adele = harness.Manager.GetOrCreate(Users.Adele);
        var alex = harness.Manager.GetOrCreate(Users.Alex);
        var megan = harness.Manager.GetOrCreate(Users.Megan);
        await IntegrationHarness.WithinCapAsync(adele.SetAsync(PresenceState.BusyInACall), "Adele to be set");
        await IntegrationHarness.WithinCapAsync(alex.SetAsync(PresenceState.Available), "Alex to be set");
        await IntegrationHarness.WithinCapAsync(megan.SetAsync(PresenceState.Available), "Megan to be set");

        await harness.AdvanceAsync(TimeSpan.FromMinutes(20));

        var users = new[] { Users.Adele, Users.Alex, Users.Megan };
        Assert.Multiple(() =>
        {
            Assert.That(users.Select(u => harness.Emulator.GetHistory(u).Count), Is.All.EqualTo(1), "no fade across four timeouts");
            Assert.That(users.SelectMany(u => harness.Emulator.GetSessions(u)).Select(s => s.Protocol), Is.All.EqualTo(EmulatedSessionProtocol.SeedPatch));
            Assert.That(harness.Emulator.Counters.GetCount(EmulatorOperation.SetPresence), Is.Zero);
            Assert.That(harness.Requests.Exchanges.Select(e => e.Method), Is.All.EqualTo("PATCH"));
            Assert.That(harness.Requests.Count(Users.Alex, "/presence"), Is.EqualTo(5), "one set and a refresh every 4:35 (every state times out with the PATCH protocol)");
        });

        // Signing off is a PATCH to Offline/Offline.
        await IntegrationHarness.WithinCapAsync(adele.ClearAsync(), "Adele to be signed off");
        Assert.Multiple(() =>
        {
            Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Adele)), Is.EqualTo("Offline/Offline"));
            Assert.That(harness.Emulator.GetSessions(Users.Adele), Is.Empty);
            Assert.That(adele.Status, Is.EqualTo(PresenceSessionStatus.Cleared));
        });

        // Megan's refreshes stop without a sign-off: the seed's three stages, one per missed timeout.
        var lastRefresh = harness.Emulator.GetSessions(Users.Megan).Single().LastRefreshed;
        await megan.DisposeAsync();
        await harness.AdvanceAsync(TimeSpan.FromMinutes(20));

        var fades = harness.Emulator.GetHistory(Users.Megan).Skip(1).Select(h => (h.Timestamp - lastRefresh, h.Availability + "/" + h.Activity));
        Assert.Multiple(() =>
        {
            Assert.That(fades, Is.EqualTo(new[]
            {
                (TimeSpan.FromMinutes(5), "Available/AvailableInactive"),
                (TimeSpan.FromMinutes(10), "Away/Away"),
                (TimeSpan.FromMinutes(15), "Offline/Offline"),
            }));
            Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Alex)), Is.EqualTo("Available/Available"));
            Assert.That(harness.Emulator.GetHistory(Users.Alex), Has.Count.EqualTo(1), "Alex, still kept, never faded");
        });
    }
}
