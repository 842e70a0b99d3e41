using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace PresenceKeepAlive.Emulator.Tests;

/// <summary>The NUnit example of src/PresenceKeepAlive.Emulator/README.md, verbatim but for the usings and this namespace.</summary>
public class ReadmeNUnitExampleTests
{
    private PresenceEmulator emulator = null!;

    [OneTimeSetUp]
    public async Task StartEmulatorAsync() => emulator = await PresenceEmulator.StartAsync();

    [OneTimeTearDown]
    public async Task StopEmulatorAsync() => await emulator.DisposeAsync();

    [TearDown]
    public void ClearFaults() => emulator.ClearFaults();

    [Test]
    public async Task CallStarted_ShowsBusyInACall()
    {
        var userId = Guid.NewGuid().ToString();
        using var http = new HttpClient { BaseAddress = emulator.GraphV1Url };   // your code, given this base URL
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "any-non-empty-token");

        using var response = await http.PostAsJsonAsync($"users/{userId}/presence/setPresence", new
        {
            sessionId = "22553876-f5ab-4529-bffb-cfe50aa89f87",
            availability = "Busy",
            activity = "InACall",
        });

        Assert.That(emulator.GetPresence(userId).Activity, Is.EqualTo("InACall"));
    }

    [Test]
    public async Task GraphOutage_IsAnswered503()
    {
        emulator.AddFault(new FaultRule { StatusCode = 503, Operation = EmulatorOperation.SetPresence });
        using var http = new HttpClient { BaseAddress = emulator.GraphV1Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t");

        using var response = await http.PostAsJsonAsync($"users/{Guid.NewGuid()}/presence/setPresence", new
        {
            sessionId = Guid.NewGuid(),
            availability = "Available",
            activity = "Available",
        });

        Assert.That((int)response.StatusCode, Is.EqualTo(503));
    }
}
