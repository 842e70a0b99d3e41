using System.Diagnostics;
using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.IntegrationTests.Infrastructure;

namespace PresenceKeepAlive.IntegrationTests;

/// <summary>One multi-tenant app registration serving many tenants in one process, over loopback against the emulator.</summary>
public class MultiTenantTests
{
    private const string ClientId = "7c0ffee0-0000-4000-8000-00000000a991";

    internal static string TenantId(int tenant) => $"7e000000-0000-4000-8000-{tenant:x12}";

    internal static string User(int tenant, int user) => $"0a1b2c3d-{tenant:x4}-4000-9000-{user:x12}";

    /// <summary>One client id (the multi-tenant app) at the top; each tenant its TenantId and its Available users.</summary>
    internal static Dictionary<string, string?> Tenants(int tenants, int users)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ClientId"] = ClientId,

            // FakeTimeProvider scans every live timer whenever one is created or fires, and each send in flight holds two
            // (Polly's attempt and total timeouts): ten thousand sends in flight at once make that quadratic (7 minutes of
            // real time for this hour). Four sends in flight per tenant keep the scan short; each tenant still sends at
            // its full rate over loopback, and the assertions are the same.
            ["MaxConcurrentRequests"] = "4",
        };
        for (var t = 0; t < tenants; t++)
        {
            settings[$"Tenants:t{t}:TenantId"] = TenantId(t);
            for (var u = 0; u < users; u++)
            {
                settings[$"Tenants:t{t}:Sessions:{u}:UserId"] = User(t, u);
            }
        }

        return settings;
    }

    /// <summary>
    /// Gets the users per tenant: 10 in the suite (14,000 requests over loopback, about 20 s); set
    /// <c>PRESENCE_MULTITENANT_USERS=100</c> for the full 100 x 100 (140,000 requests: every one crosses the real SDK,
    /// Polly and Kestrel, about 1.5 ms of CPU each, so about 3.5 minutes on 2 cores).
    /// </summary>
    private static int UsersPerTenant =>
        int.TryParse(Environment.GetEnvironmentVariable("PRESENCE_MULTITENANT_USERS"), out var users) && users > 0 ? users : 10;

    [Test]
    public async Task OneHour_HundredTenants_KeepsEveryoneAvailableWithNoLapseAndNo429()
    {
        const int TenantCount = 100;
        var UserCount = UsersPerTenant;
        var run = Stopwatch.StartNew();
        await using var harness = await RegistrationsHarness.StartAsync(Tenants(TenantCount, UserCount));

        // Steps of at least a second: the hundred schedulers' timers fall milliseconds apart (each paces its own tenant).
        await harness.AdvanceAsync(TimeSpan.FromHours(1), maxStep: TimeSpan.FromMinutes(1), minStep: TimeSpan.FromSeconds(1));

        var lapsed = harness.Changes.Where(c => c.Change.Status is PresenceSessionStatus.Lapsed or PresenceSessionStatus.Failed).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(harness.Registry.Pools.Count(), Is.EqualTo(TenantCount));
            Assert.That(lapsed, Is.Empty, "no session lapsed or failed");
            Assert.That(harness.Emulator.Counters.ThrottledRequests, Is.Zero, "no 429: each tenant has its own budget");
            for (var t = 0; t < TenantCount; t++)
            {
                for (var u = 0; u < UserCount; u++)
                {
                    var user = User(t, u);
                    var history = harness.Emulator.GetHistory(user);
                    if (history.Count != 1 || IntegrationHarness.Describe(harness.Emulator.GetPresence(user)) != "Available/Available")
                    {
                        Assert.Fail($"{user} of tenant {t}: {IntegrationHarness.Describe(harness.Emulator.GetPresence(user))}, {history.Count} changes (faded?)");
                    }
                }
            }

            // 3600 / 275 = 13.09 refreshes an hour each at the least, plus the first set.
            var sets = harness.Emulator.Counters.GetCount(EmulatorOperation.SetPresence);
            Assert.That(sets, Is.InRange(TenantCount * UserCount * 13, TenantCount * UserCount * 15));
        });
        TestContext.Out.WriteLine($"{TenantCount} tenants x {UserCount} users: {harness.Emulator.Counters.TotalRequests} requests over loopback in {run.Elapsed.TotalSeconds:0.0} s of real time.");
    }
}
