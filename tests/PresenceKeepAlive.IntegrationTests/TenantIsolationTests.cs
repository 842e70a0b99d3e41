using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.IntegrationTests.Infrastructure;

namespace PresenceKeepAlive.IntegrationTests;

/// <summary>One tenant's revoked consent, another's outage and a third's throttling change only their own sessions.</summary>
public class TenantIsolationTests
{
    private const int TenantCount = 10;
    private const int UserCount = 20;

    [Test]
    public async Task ConsentRevokedOutageAndThrottling_InThreeTenants_LeaveEveryOtherTenantActive()
    {
        await using var harness = await RegistrationsHarness.StartAsync(MultiTenantTests.Tenants(TenantCount, UserCount));
        await harness.AdvanceAsync(TimeSpan.FromMinutes(1), minStep: TimeSpan.FromSeconds(1));
        var setsBefore = Enumerable.Range(0, TenantCount).Select(t => SetsOf(harness, t)).ToArray();

        // t0 revokes consent (403), t1 goes down for 10 minutes (503), t2 is throttled for 4 minutes, its first refreshes included (429, Retry-After 60).
        var from = harness.Now;
        harness.Emulator.AddFault(new FaultRule { StatusCode = 403, ErrorCode = "Forbidden", TenantId = MultiTenantTests.TenantId(0) });
        harness.Emulator.AddFault(new FaultRule { StatusCode = 503, TenantId = MultiTenantTests.TenantId(1), From = from, Until = from.AddMinutes(10) });
        harness.Emulator.AddFault(new FaultRule { StatusCode = 429, RetryAfter = TimeSpan.FromSeconds(60), TenantId = MultiTenantTests.TenantId(2), From = from, Until = from.AddMinutes(4) });
        harness.Changes.Clear();

        await harness.AdvanceAsync(TimeSpan.FromMinutes(20), minStep: TimeSpan.FromSeconds(1));

        var pools = Enumerable.Range(0, TenantCount).Select(t => harness.Registry.GetPool("t" + t)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(pools[0].Sessions.Select(s => s.Status), Has.All.EqualTo(PresenceSessionStatus.Failed), "t0's consent is revoked: its sessions stop, visibly");
            Assert.That(pools[0].Sessions.Select(s => (int?)s.LastError?.StatusCode), Has.All.EqualTo(403));
            Assert.That(pools[1].Sessions.Select(s => s.Status), Has.All.EqualTo(PresenceSessionStatus.Active), "t1 recovered after its outage");
            Assert.That(harness.Changes.Where(c => c.Registration == "t1").Select(c => c.Change.Status), Does.Contain(PresenceSessionStatus.Retrying));
            Assert.That(harness.Changes.Where(c => c.Registration == "t2").Select(c => (int?)c.Change.Error?.StatusCode), Does.Contain(429), "t2 was throttled");
            Assert.That(pools[2].Sessions.Select(s => s.Status), Has.All.EqualTo(PresenceSessionStatus.Active), "t2 recovered after its throttling");
            for (var t = 3; t < TenantCount; t++)
            {
                Assert.That(pools[t].Sessions.Select(s => s.Status), Has.All.EqualTo(PresenceSessionStatus.Active), $"t{t}");
                Assert.That(harness.Changes.Where(c => c.Registration == "t" + t), Is.Empty, $"t{t}: no status change at all");
                for (var u = 0; u < UserCount; u++)
                {
                    Assert.That(harness.Emulator.GetHistory(MultiTenantTests.User(t, u)), Has.Count.EqualTo(1), $"t{t} user {u} never faded");
                }

                // Refreshed at its own pace: 20 minutes at one refresh per 275 s each, whatever the other tenants went through.
                Assert.That(SetsOf(harness, t) - setsBefore[t], Is.InRange(UserCount * 4, UserCount * 5), $"t{t} refreshes");
            }

            Assert.That(harness.Emulator.Counters.ThrottledRequests, Is.Zero, "the 429s were t2's injected ones; no budget was exceeded");
        });
    }

    // The attempts that left through the tenant's gate (every request of that tenant is a refresh here).
    private static int SetsOf(RegistrationsHarness harness, int tenant) =>
        harness.Registry.GetPool("t" + tenant).Slots.Sum(s => (int)s.Gate.Entered);
}
