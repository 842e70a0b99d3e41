using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.Emulator.Tests;

/// <summary>The code blocks of src/PresenceKeepAlive.Emulator/README.md, kept compiling and true here.</summary>
public class ReadmeExamplesTests
{
    [Test]
    public async Task QuickStart_SetPresenceOverHttp_IsVisibleThroughPublicApi()
    {
        var time = new FakeTimeProvider();

        // README: quick start
        await using var emulator = await PresenceEmulator.StartAsync(new PresenceEmulatorOptions { TimeProvider = time });
        using var http = new HttpClient { BaseAddress = emulator.GraphV1Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "any-non-empty-token");

        var userId = "fa8bf3dc-eca7-46b7-bad1-db199b62afc3";
        using var response = await http.PostAsJsonAsync($"users/{userId}/presence/setPresence", new
        {
            sessionId = "22553876-f5ab-4529-bffb-cfe50aa89f87", // your app's client id
            availability = "Available",
            activity = "Available",
            expirationDuration = "PT1H",
        });

        var now = emulator.GetPresence(userId);                 // Available/Available
        time.Advance(TimeSpan.FromMinutes(5));                  // one missed inactivity timeout
        var later = emulator.GetPresence(userId);               // Available/AvailableInactive
        // README: end

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(now.Activity, Is.EqualTo("Available"));
        Assert.That(later.Activity, Is.EqualTo("AvailableInactive"));
        Assert.That(emulator.GetHistory(userId), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Faults_TwoServiceUnavailableThenNormal_AsDocumented()
    {
        await using var emulator = await PresenceEmulator.StartAsync(new PresenceEmulatorOptions { TimeProvider = new FakeTimeProvider() });
        using var http = new HttpClient { BaseAddress = emulator.GraphV1Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t");
        var userId = Guid.NewGuid();
        var body = new { sessionId = Guid.NewGuid(), availability = "Busy", activity = "InACall" };

        // README: faults
        emulator.AddFault(new FaultRule { StatusCode = 503, Count = 2, Operation = EmulatorOperation.SetPresence, RetryAfter = TimeSpan.FromSeconds(1) });
        emulator.AddFault(new FaultRule { DropConnection = true, Probability = 0.0 });   // never: probability 0
        // README: end

        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await http.PostAsJsonAsync($"users/{userId}/presence/setPresence", body);
            statuses.Add((int)response.StatusCode);
        }

        Assert.That(statuses, Is.EqualTo(new[] { 503, 503, 200 }));
    }
}
