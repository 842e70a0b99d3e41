using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class AdminEndpointTests
{
    [Test]
    public async Task PostFaults_ValidRule_Returns201AndRuleApplies()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var admin = new HttpClient { BaseAddress = sut.Emulator.BaseAddress };

        using var created = await admin.PostAsync("_emulator/faults", EmulatorHarness.Json("{\"statusCode\":429,\"retryAfter\":\"00:00:07\",\"count\":1,\"operation\":\"GetPresence\"}"));
        using var faulted = await sut.Client.GetAsync($"users/{EmulatorHarness.NewId()}/presence");
        using var served = await sut.Client.GetAsync($"users/{EmulatorHarness.NewId()}/presence");

        Assert.That((int)created.StatusCode, Is.EqualTo(201));
        Assert.That((int)faulted.StatusCode, Is.EqualTo(429));
        Assert.That(faulted.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(7)));
        Assert.That((await EmulatorHarness.ReadErrorAsync(faulted)).Code, Is.EqualTo("TooManyRequests"));
        Assert.That((int)served.StatusCode, Is.EqualTo(200));
        Assert.That(sut.Emulator.Counters.ThrottledRequests, Is.Zero, "injected 429s are counted as faults, not throttling");
        Assert.That(sut.Emulator.Counters.InjectedFaults, Is.EqualTo(1));
    }

    [Test]
    public async Task GetFaults_AfterPost_ListsTheRule()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var admin = new HttpClient { BaseAddress = sut.Emulator.BaseAddress };
        using (await admin.PostAsync("_emulator/faults", EmulatorHarness.Json("{\"dropConnection\":true,\"pathContains\":\"getPresencesByUserId\"}")))
        {
        }

        using var response = await admin.GetAsync("_emulator/faults");
        var rules = await EmulatorHarness.ReadJsonAsync(response);

        Assert.That(rules.GetArrayLength(), Is.EqualTo(1));
        Assert.That(rules[0].GetProperty("dropConnection").GetBoolean(), Is.True);
        Assert.That(sut.Emulator.Faults.Single().PathContains, Is.EqualTo("getPresencesByUserId"));
    }

    [Test]
    public async Task DeleteFaults_AfterPost_Returns204AndRequestsAreServed()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var admin = new HttpClient { BaseAddress = sut.Emulator.BaseAddress };
        using (await admin.PostAsync("_emulator/faults", EmulatorHarness.Json("{\"statusCode\":503}")))
        {
        }

        using var deleted = await admin.DeleteAsync("_emulator/faults");
        using var response = await sut.Client.GetAsync($"users/{EmulatorHarness.NewId()}/presence");

        Assert.That((int)deleted.StatusCode, Is.EqualTo(204));
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(sut.Emulator.Faults, Is.Empty);
    }

    [TestCase("{\"statusCode\":200}", "InvalidArgument")]
    [TestCase("{\"probability\":0.5}", "InvalidArgument")]
    [TestCase("{\"statusCode\":", "BadRequest")]
    [TestCase("{\"operation\":\"NoSuchOperation\",\"statusCode\":503}", "BadRequest")]
    public async Task PostFaults_InvalidRule_Returns400AndAddsNothing(string body, string code)
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var admin = new HttpClient { BaseAddress = sut.Emulator.BaseAddress };

        using var response = await admin.PostAsync("_emulator/faults", EmulatorHarness.Json(body));
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo(code));
        Assert.That(sut.Emulator.Faults, Is.Empty);
    }

    [Test]
    public async Task GetState_WithSessionsAndPreferred_ReturnsUsersSessionsHistoryAndCounters()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.Mode = PresenceEmulatorMode.Seed);
        var user = EmulatorHarness.NewId();
        var sessionId = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(user, sessionId, "Available", "Available", "PT1H");
        using (await sut.PostAsync($"users/{user}/presence/setUserPreferredPresence", "{\"availability\":\"Busy\",\"activity\":\"Busy\"}"))
        {
        }

        sut.Time.Advance(TimeSpan.FromMinutes(6));
        using var admin = new HttpClient { BaseAddress = sut.Emulator.BaseAddress };

        using var response = await admin.GetAsync("_emulator/state");
        var state = await EmulatorHarness.ReadJsonAsync(response);
        var userState = state.GetProperty("users").EnumerateArray().Single();
        var session = userState.GetProperty("sessions").EnumerateArray().Single();

        Assert.That((int)response.StatusCode, Is.EqualTo(200), "admin endpoints need no bearer token");
        Assert.That(state.GetProperty("mode").GetString(), Is.EqualTo("Seed"));
        Assert.That(state.GetProperty("now").GetDateTimeOffset(), Is.EqualTo(EmulatorHarness.Start.AddMinutes(6)));
        Assert.That(userState.GetProperty("id").GetString(), Is.EqualTo(user));
        Assert.That(userState.GetProperty("availability").GetString(), Is.EqualTo("Busy"));
        Assert.That(userState.GetProperty("preferredPresence").GetProperty("effective").GetBoolean(), Is.True);
        Assert.That(session.GetProperty("sessionId").GetString(), Is.EqualTo(sessionId));
        Assert.That(session.GetProperty("currentActivity").GetString(), Is.EqualTo("AvailableInactive"));
        Assert.That(session.GetProperty("expiresAt").GetDateTimeOffset(), Is.EqualTo(EmulatorHarness.Start.AddMinutes(15)));
        Assert.That(state.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("activity").GetString()), Is.EqualTo(new[] { "Available", "Busy" }));
        Assert.That(state.GetProperty("counters").GetProperty("byOperation").GetProperty("SetUserPreferredPresence").GetInt64(), Is.EqualTo(1));
    }

    [Test]
    public async Task GetState_AdminRequests_AreNotCountedOrThrottled()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.ThrottleLimit = 1);
        using var admin = new HttpClient { BaseAddress = sut.Emulator.BaseAddress };

        for (var i = 0; i < 5; i++)
        {
            using var response = await admin.GetAsync("_emulator/state");
            Assert.That((int)response.StatusCode, Is.EqualTo(200));
        }

        Assert.That(sut.Emulator.Counters.TotalRequests, Is.Zero);
    }
}
