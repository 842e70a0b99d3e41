using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class ThrottlingTests
{
    [Test]
    public async Task Request_OverThrottleLimit_Returns429WithRetryAfterAndGraphBody()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.ThrottleLimit = 5);
        var user = EmulatorHarness.NewId();
        for (var i = 0; i < 5; i++)
        {
            Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Offline/Offline"));
        }

        using var response = await sut.Client.GetAsync($"users/{user}/presence");
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(429));
        Assert.That(error.Code, Is.EqualTo("TooManyRequests"));

        // 5 tokens per 30 s refill one token every 6 s.
        Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(6)));
        Assert.That(sut.Emulator.Counters.ThrottledRequests, Is.EqualTo(1));
        Assert.That(sut.Emulator.Counters.TotalRequests, Is.EqualTo(6));
    }

    [Test]
    public async Task Request_AfterRetryAfterElapsed_IsServedAgain()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.ThrottleLimit = 5);
        var user = EmulatorHarness.NewId();
        for (var i = 0; i < 5; i++)
        {
            await sut.GetPresenceAsync(user);
        }

        sut.Time.Advance(TimeSpan.FromSeconds(5));
        using var stillThrottled = await sut.Client.GetAsync($"users/{user}/presence");
        sut.Time.Advance(TimeSpan.FromSeconds(1));
        using var served = await sut.Client.GetAsync($"users/{user}/presence");

        Assert.That((int)stillThrottled.StatusCode, Is.EqualTo(429));
        Assert.That(stillThrottled.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That((int)served.StatusCode, Is.EqualTo(200));
    }

    [Test]
    public async Task Request_ThrottledWithTimeScale_RetryAfterIsInRealSeconds()
    {
        // 2 requests per 10 emulated minutes: a token every 5 emulated minutes, 5 real seconds at scale 60.
        await using var sut = await EmulatorHarness.StartAsync(o =>
        {
            o.TimeScale = 60;
            o.ThrottleLimit = 2;
            o.ThrottleWindow = TimeSpan.FromMinutes(10);
        });
        var user = EmulatorHarness.NewId();
        await sut.GetPresenceAsync(user);
        await sut.GetPresenceAsync(user);

        using var response = await sut.Client.GetAsync($"users/{user}/presence");

        Assert.That((int)response.StatusCode, Is.EqualTo(429));
        Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public async Task Request_ThrottledWaitUnderOneRealSecond_RetryAfterIsAtLeastOne()
    {
        await using var sut = await EmulatorHarness.StartAsync(o =>
        {
            o.TimeScale = 600;
            o.ThrottleLimit = 1;
        });
        var user = EmulatorHarness.NewId();
        await sut.GetPresenceAsync(user);

        using var response = await sut.Client.GetAsync($"users/{user}/presence");

        Assert.That((int)response.StatusCode, Is.EqualTo(429));
        Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public async Task Request_JwtTokens_AreThrottledPerAppIdClaim()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.ThrottleLimit = 2);
        var user = EmulatorHarness.NewId();
        using var appA1 = EmulatorHarness.CreateClient(sut.Emulator.GraphV1Url, Jwt.WithClaims("{\"appid\":\"app-a\",\"n\":1}"));
        using var appA2 = EmulatorHarness.CreateClient(sut.Emulator.GraphV1Url, Jwt.WithClaims("{\"appid\":\"app-a\",\"n\":2}"));
        using var appB = EmulatorHarness.CreateClient(sut.Emulator.GraphV1Url, Jwt.WithClaims("{\"azp\":\"app-b\"}"));

        using var a1 = await appA1.GetAsync($"users/{user}/presence");
        using var a2 = await appA2.GetAsync($"users/{user}/presence");
        using var a3 = await appA1.GetAsync($"users/{user}/presence");
        using var b1 = await appB.GetAsync($"users/{user}/presence");

        Assert.That(new[] { (int)a1.StatusCode, (int)a2.StatusCode, (int)a3.StatusCode, (int)b1.StatusCode }, Is.EqualTo(new[] { 200, 200, 429, 200 }));
    }

    [Test]
    public async Task Request_ThrottlingDisabled_NeverReturns429()
    {
        await using var sut = await EmulatorHarness.StartAsync(o =>
        {
            o.ThrottlingEnabled = false;
            o.ThrottleLimit = 1;
        });
        var user = EmulatorHarness.NewId();

        for (var i = 0; i < 20; i++)
        {
            Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Offline/Offline"));
        }

        Assert.That(sut.Emulator.Counters.ThrottledRequests, Is.Zero);
    }

    [Test]
    public async Task Request_DefaultLimit_Allows1500PerWindowThenThrottles()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var statuses = new int[1501];
        for (var i = 0; i < statuses.Length; i++)
        {
            using var response = await sut.Client.GetAsync($"users/{user}/presence");
            statuses[i] = (int)response.StatusCode;
        }

        Assert.That(statuses.Take(1500), Is.All.EqualTo(200));
        Assert.That(statuses[1500], Is.EqualTo(429));
    }
}
