using Microsoft.Extensions.DependencyInjection;
using PresenceKeepAlive.Emulator;

namespace PresenceKeepAlive.TestingSample;

/// <summary>
/// Tests of <see cref="PhoneBridge"/> against the emulator started in-process: the real library, its real HTTP pipeline,
/// over loopback to an emulator that answers like Graph (and fails like Graph when told to).
/// </summary>
public sealed class PhoneBridgeTests
{
    private const string User = "adele@contoso.com";

    private PresenceEmulator _emulator = null!;
    private ServiceProvider _services = null!;
    private PhoneBridge _bridge = null!;

    [SetUp]
    public async Task SetUp()
    {
        // Port 0 (the default): a free port, so tests can run in parallel. BaseAddress and GraphV1Url say which.
        _emulator = await PresenceEmulator.StartAsync();

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPresenceSession(options =>
        {
            options.ClientId = "0b0d7c5e-6f1a-4c59-9a53-2f3e1a7d9c11"; // any GUID: the emulator checks the shape, not a tenant
            options.BaseUrl = _emulator.GraphV1Url.ToString();        // loopback: a development token, no credential needed
        });
        services.AddSingleton<PhoneBridge>();
        _services = services.BuildServiceProvider();
        _bridge = _services.GetRequiredService<PhoneBridge>();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _services.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    [Test]
    public async Task CallStarted_ShowsTheUserBusyInACall()
    {
        var accepted = await _bridge.CallStartedAsync(User);

        var presence = _emulator.GetPresence(User);
        Assert.That(accepted, Is.True);
        Assert.That((presence.Availability, presence.Activity), Is.EqualTo(("Busy", "InACall")));
    }

    [Test]
    public async Task CallEnded_ShowsTheUserAvailableAgain()
    {
        await _bridge.CallStartedAsync(User);

        await _bridge.CallEndedAsync(User);

        var presence = _emulator.GetPresence(User);
        Assert.That((presence.Availability, presence.Activity), Is.EqualTo(("Available", "Available")));
        Assert.That(_emulator.GetHistory(User).Select(c => c.Availability), Is.EqualTo(new[] { "Busy", "Available" }));
    }

    [Test]
    public async Task CallStarted_GraphRefusesIt_ReportsFalse()
    {
        // Fault injection: the emulator answers the next setPresence with 403, as Graph does without Presence.ReadWrite.All.
        _emulator.AddFault(new FaultRule { Operation = EmulatorOperation.SetPresence, StatusCode = 403, Count = 1 });

        var accepted = await _bridge.CallStartedAsync(User);

        Assert.That(accepted, Is.False);
        Assert.That(_emulator.GetSessions(User), Is.Empty);
    }
}
