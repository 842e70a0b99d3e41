using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

/// <summary>Tenants from the token's <c>tid</c> claim: a budget per app per tenant, and fault rules scoped to one tenant.</summary>
public class TenantTests
{
    private const string Contoso = "6f1a2b3c-0000-4000-8000-00000000c001";
    private const string Fabrikam = "6f1a2b3c-0000-4000-8000-00000000fab1";

    [Test]
    public async Task Request_OneAppInTwoTenants_HasABudgetInEachTenant()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.ThrottleLimit = 2);
        var user = EmulatorHarness.NewId();
        using var contoso = EmulatorHarness.CreateClient(sut.Emulator.GraphV1Url, Jwt.WithClaims($"{{\"appid\":\"app-a\",\"tid\":\"{Contoso}\"}}"));
        using var fabrikam = EmulatorHarness.CreateClient(sut.Emulator.GraphV1Url, Jwt.WithClaims($"{{\"appid\":\"app-a\",\"tid\":\"{Fabrikam}\"}}"));

        using var c1 = await contoso.GetAsync($"users/{user}/presence");
        using var c2 = await contoso.GetAsync($"users/{user}/presence");
        using var c3 = await contoso.GetAsync($"users/{user}/presence");
        using var f1 = await fabrikam.GetAsync($"users/{user}/presence");
        using var f2 = await fabrikam.GetAsync($"users/{user}/presence");
        using var f3 = await fabrikam.GetAsync($"users/{user}/presence");

        Assert.That(
            new[] { c1, c2, c3, f1, f2, f3 }.Select(r => (int)r.StatusCode),
            Is.EqualTo(new[] { 200, 200, 429, 200, 200, 429 }),
            "2 per window for app-a in Contoso, and 2 more in Fabrikam");
        var error = await EmulatorHarness.ReadErrorAsync(c3);
        Assert.That(error.Message, Does.Contain("in tenant " + Contoso));
    }

    [Test]
    public async Task FaultRule_ScopedToTenant_FailsOnlyThatTenantsRequests()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        sut.Emulator.AddFault(new FaultRule { StatusCode = 403, ErrorCode = "Forbidden", TenantId = Contoso.ToUpperInvariant() });
        var user = EmulatorHarness.NewId();
        using var contoso = EmulatorHarness.CreateClient(sut.Emulator.GraphV1Url, Jwt.WithClaims($"{{\"appid\":\"app-a\",\"tid\":\"{Contoso}\"}}"));
        using var fabrikam = EmulatorHarness.CreateClient(sut.Emulator.GraphV1Url, Jwt.WithClaims($"{{\"appid\":\"app-a\",\"tid\":\"{Fabrikam}\"}}"));
        using var noTenant = EmulatorHarness.CreateClient(sut.Emulator.GraphV1Url, Jwt.WithClaims("{\"appid\":\"app-a\"}"));

        using var refused = await contoso.GetAsync($"users/{user}/presence");
        using var served = await fabrikam.GetAsync($"users/{user}/presence");
        using var servedWithoutTenant = await noTenant.GetAsync($"users/{user}/presence");

        Assert.That((int)refused.StatusCode, Is.EqualTo(403));
        Assert.That((int)served.StatusCode, Is.EqualTo(200));
        Assert.That((int)servedWithoutTenant.StatusCode, Is.EqualTo(200));
        Assert.That(sut.Emulator.Counters.InjectedFaults, Is.EqualTo(1));
    }
}
