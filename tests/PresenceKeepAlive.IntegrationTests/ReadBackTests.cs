using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Emulator;
using System.Text;
using PresenceKeepAlive.IntegrationTests.Infrastructure;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.IntegrationTests;

/// <summary>Read-back against the emulator over loopback: what others see, and why it differs from what the app set.</summary>
public class ReadBackTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);

    [Test]
    public async Task UserSetsOwnDoNotDisturb_WhileAppKeepsBusyInACall_ReportedAsMaskedByPreferredPresenceWithinOneIntervalPlusGrace()
    {
        await using var harness = await StartAsync();
        var mismatches = new List<(long Value, string? Reason)>();
        var meter = harness.Host.Services.GetRequiredService<PresenceKeepAliveMetrics>().Meter;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == "presencekeepalive.readback.mismatches")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (mismatches)
            {
                mismatches.Add((value, tags.ToArray().FirstOrDefault(t => t.Key == "reason").Value as string));
            }
        });
        listener.Start();
        var adele = harness.Manager.GetOrCreate(Users.Adele);
        var changes = new List<(DateTimeOffset At, PresenceMismatchChangedEventArgs Change)>();
        adele.MismatchChanged += (_, e) =>
        {
            lock (changes)
            {
                changes.Add((harness.Now, e));
            }
        };
        await IntegrationHarness.WithinCapAsync(adele.SetAsync(PresenceState.BusyInACall), "Adele to be set");
        await AdvanceAsync(harness, TimeSpan.FromMinutes(3));
        Assert.Multiple(() =>
        {
            Assert.That(adele.SeenPresence?.ToString(), Is.EqualTo("Busy/InACall"), "read back as set");
            Assert.That(adele.Mismatch, Is.Null);
        });

        // Adele picks Do not disturb in her own client (delegated, /me), while the app keeps her Busy/InACall alive.
        var setAt = harness.Now;
        await SetOwnPreferredAsync(harness, "/me/presence/setUserPreferredPresence", "{\"availability\":\"DoNotDisturb\",\"activity\":\"DoNotDisturb\"}");
        Assert.That(IntegrationHarness.Describe(harness.Emulator.GetPresence(Users.Adele)), Is.EqualTo("DoNotDisturb/DoNotDisturb"));
        await AdvanceAsync(harness, Interval + Grace + TimeSpan.FromSeconds(5));

        Assert.Multiple(() =>
        {
            Assert.That(adele.Status, Is.EqualTo(PresenceSessionStatus.Active), "the app session is still kept alive");
            Assert.That(adele.Mismatch, Is.Not.Null, "reported as masked");
            Assert.That(adele.Mismatch!.Reason, Is.EqualTo(PresenceMaskReason.UserPreferredPresence));
            Assert.That(adele.Mismatch.Desired, Is.EqualTo(PresenceState.BusyInACall));
            Assert.That(adele.Mismatch.Seen.ToString(), Is.EqualTo("DoNotDisturb/DoNotDisturb"));
            Assert.That(changes, Has.Count.EqualTo(1));
            Assert.That(changes[0].At - setAt, Is.LessThanOrEqualTo(Interval + Grace), "within one read-back interval plus the grace period");
            Assert.That(changes[0].At - setAt, Is.GreaterThanOrEqualTo(Grace), "not before the grace period");
            Assert.That(mismatches, Is.EqualTo(new[] { (1L, (string?)"UserPreferredPresence") }), "counted once, with its reason");
        });

        // She clears it: the next reading shows the app's state again, and the mismatch clears.
        await SetOwnPreferredAsync(harness, "/me/presence/clearUserPreferredPresence", "{}");
        await AdvanceAsync(harness, Interval + TimeSpan.FromSeconds(5));

        Assert.Multiple(() =>
        {
            Assert.That(adele.Mismatch, Is.Null);
            Assert.That(adele.SeenPresence?.ToString(), Is.EqualTo("Busy/InACall"));
            Assert.That(changes, Has.Count.EqualTo(2));
            Assert.That(changes[1].Change.Mismatch, Is.Null);
            Assert.That(changes[1].Change.Previous?.Reason, Is.EqualTo(PresenceMaskReason.UserPreferredPresence));
        });
    }

    [Test]
    public async Task AnotherAppsSessionWithHigherRank_ReportedAsAnotherSessionRanksHigher()
    {
        await using var harness = await StartAsync();
        var alex = harness.Manager.GetOrCreate(Users.Alex);
        await IntegrationHarness.WithinCapAsync(alex.SetAsync(PresenceState.Available), "Alex to be set");

        // Another application (another session id) shows Alex presenting: DoNotDisturb ranks above Available.
        var otherApp = Guid.NewGuid().ToString();
        using (var client = new HttpClient { BaseAddress = harness.Emulator.BaseAddress })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"v1.0/users/{Users.Alex}/presence/setPresence")
            {
                Content = new StringContent($"{{\"sessionId\":\"{otherApp}\",\"availability\":\"DoNotDisturb\",\"activity\":\"Presenting\",\"expirationDuration\":\"PT1H\"}}", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token($"{{\"appid\":\"{otherApp}\"}}"));
            using var response = await client.SendAsync(request);
            Assert.That((int)response.StatusCode, Is.EqualTo(200));
        }

        await AdvanceAsync(harness, Interval + Grace + TimeSpan.FromSeconds(5));

        Assert.Multiple(() =>
        {
            Assert.That(alex.Mismatch?.Reason, Is.EqualTo(PresenceMaskReason.AnotherSessionRanksHigher));
            Assert.That(alex.Mismatch?.Seen.ToString(), Is.EqualTo("DoNotDisturb/Presenting"));
        });
    }

    [Test]
    public async Task OutageLongerThanTheLease_UserShowsOffline_ReportedAsSessionEnded()
    {
        await using var harness = await StartAsync();
        harness.StallTolerance = TimeSpan.FromMinutes(15);
        var megan = harness.Manager.GetOrCreate(Users.Megan);
        await IntegrationHarness.WithinCapAsync(megan.SetAsync(PresenceState.BusyInACall), "Megan to be set");
        await AdvanceAsync(harness, TimeSpan.FromMinutes(2));

        // Every setPresence fails for 10 minutes: the 5-minute lease ends and Graph shows Megan Offline.
        harness.Emulator.AddFault(new FaultRule { StatusCode = 503, Operation = EmulatorOperation.SetPresence, From = harness.Emulator.EmulatedNow, Until = harness.Emulator.EmulatedNow + TimeSpan.FromMinutes(10) });
        await AdvanceAsync(harness, TimeSpan.FromMinutes(9));

        Assert.Multiple(() =>
        {
            Assert.That(megan.Status, Is.EqualTo(PresenceSessionStatus.Lapsed));
            Assert.That(megan.SeenPresence?.ToString(), Is.EqualTo("Offline/Offline"));
            Assert.That(megan.Mismatch?.Reason, Is.EqualTo(PresenceMaskReason.SessionEnded));
        });

        // The outage ends: the session recovers and the next readings clear the mismatch.
        await AdvanceAsync(harness, TimeSpan.FromMinutes(4));

        Assert.Multiple(() =>
        {
            Assert.That(megan.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(megan.SeenPresence?.ToString(), Is.EqualTo("Busy/InACall"));
            Assert.That(megan.Mismatch, Is.Null);
        });
    }

    [Test]
    public async Task ReadBackOff_NoReadsAreSent()
    {
        await using var harness = await IntegrationHarness.StartAsync();
        var adele = harness.Manager.GetOrCreate(Users.Adele);
        await IntegrationHarness.WithinCapAsync(adele.SetAsync(PresenceState.BusyInACall), "Adele to be set");
        await harness.AdvanceAsync(TimeSpan.FromMinutes(5));

        Assert.Multiple(() =>
        {
            Assert.That(((PresenceSessionManager)harness.Manager).ReadBack, Is.Null);
            Assert.That(harness.Requests.Exchanges.Count(e => e.Path.EndsWith("getPresencesByUserId", StringComparison.Ordinal)), Is.Zero);
            Assert.That(adele.SeenPresence, Is.Null);
        });
    }

    private static Task<IntegrationHarness> StartAsync() => IntegrationHarness.StartAsync(settings: new Dictionary<string, string?>
    {
        ["ReadBack:Enabled"] = "true",
        ["ReadBack:Interval"] = Interval.ToString("c"),
        ["ReadBack:GracePeriod"] = Grace.ToString("c"),
    });

    // Waits for read-back calls in flight after each step, so each reading lands at the step it was sent in.
    private static Task AdvanceAsync(IntegrationHarness harness, TimeSpan duration)
    {
        var loop = ((PresenceSessionManager)harness.Manager).ReadBack!;
        return harness.AdvanceAsync(
            duration,
            () => Assert.That(SpinWait.SpinUntil(() => !loop.IsReading, IntegrationHarness.RealTimeCap), Is.True, "a read-back call to finish"),
            maxStep: TimeSpan.FromSeconds(1));
    }

    /// <summary>The user's own client: a delegated token naming Adele, on the emulator's /me paths.</summary>
    private static async Task SetOwnPreferredAsync(IntegrationHarness harness, string path, string json)
    {
        using var client = new HttpClient { BaseAddress = harness.Emulator.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1.0" + path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", DelegatedToken(Users.Adele));
        using var response = await client.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
    }

    private static string DelegatedToken(string objectId) =>
        Token($"{{\"oid\":\"{objectId}\",\"scp\":\"Presence.ReadWrite\",\"azp\":\"teams-client\"}}");

    private static string Token(string payload)
    {
        static string Part(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return Part("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + Part(payload) + ".";
    }
}
