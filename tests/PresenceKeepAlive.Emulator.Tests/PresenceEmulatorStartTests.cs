using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class PresenceEmulatorStartTests
{
    [Test]
    public async Task StartAsync_DefaultOptions_ListensOnLoopbackWithVersionedUrls()
    {
        await using var emulator = await PresenceEmulator.StartAsync();

        Assert.That(emulator.BaseAddress.Host, Is.EqualTo("127.0.0.1"));
        Assert.That(emulator.BaseAddress.Port, Is.GreaterThan(0));
        Assert.That(emulator.BaseAddress.AbsolutePath, Is.EqualTo("/"));
        Assert.That(emulator.GraphV1Url, Is.EqualTo(new Uri(emulator.BaseAddress, "v1.0/")));
        Assert.That(emulator.GraphBetaUrl, Is.EqualTo(new Uri(emulator.BaseAddress, "beta/")));
        Assert.That(emulator.Options.Mode, Is.EqualTo(PresenceEmulatorMode.Graph));
    }

    [Test]
    public async Task StartAsync_TwoEmulators_GetDifferentPortsAndSeparateState()
    {
        await using var first = await EmulatorHarness.StartAsync();
        await using var second = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();

        await first.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Busy", "InACall");

        Assert.That(first.Emulator.BaseAddress.Port, Is.Not.EqualTo(second.Emulator.BaseAddress.Port));
        Assert.That(second.Presence(user), Is.EqualTo("Offline/Offline"));
    }

    [TestCase("0.0.0.0")]
    [TestCase("192.168.1.10")]
    public async Task StartAsync_NonLoopbackHostWithoutOptIn_ThrowsArgumentException(string host)
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => PresenceEmulator.StartAsync(new PresenceEmulatorOptions { Host = host }));

        Assert.That(ex!.Message, Does.Contain(host).And.Contain("AllowNonLoopback"));
    }

    [Test]
    public async Task StartAsync_HostNotAnAddress_ThrowsArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => PresenceEmulator.StartAsync(new PresenceEmulatorOptions { Host = "example.com" }));
    }

    private static readonly (Action<PresenceEmulatorOptions> Configure, string Mentions)[] InvalidOptions =
    [
        (o => o.TimeScale = 0, "TimeScale"),
        (o => o.TimeScale = double.NaN, "TimeScale"),
        (o => o.InactivityTimeout = TimeSpan.Zero, "InactivityTimeout"),
        (o => o.ThrottleLimit = 0, "ThrottleLimit"),
        (o => o.ThrottleWindow = TimeSpan.Zero, "ThrottleWindow"),
        (o => o.Port = 70000, "Port"),
        (o => o.MaxHistoryPerUser = -1, "MaxHistoryPerUser"),
    ];

    [Test]
    public async Task StartAsync_InvalidOption_ThrowsArgumentExceptionNamingIt()
    {
        foreach (var (configure, mentions) in InvalidOptions)
        {
            var options = new PresenceEmulatorOptions();
            configure(options);

            var ex = await Assert.ThrowsAsync<ArgumentException>(() => PresenceEmulator.StartAsync(options));

            Assert.That(ex!.Message, Does.Contain(mentions));
        }
    }

    [Test]
    public async Task StartAsync_Localhost_ListensOnIPv4Loopback()
    {
        await using var emulator = await PresenceEmulator.StartAsync(new PresenceEmulatorOptions { Host = "localhost" });

        Assert.That(emulator.BaseAddress.Host, Is.EqualTo("127.0.0.1"));
    }

    [Test]
    public async Task StartAsync_IPv6Loopback_BaseAddressUsesBrackets()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Ignore("IPv6 is not available on this machine.");
        }

        PresenceEmulator emulator;
        try
        {
            emulator = await PresenceEmulator.StartAsync(new PresenceEmulatorOptions { Host = "::1", TimeProvider = new FakeTimeProvider() });
        }
        catch (IOException)
        {
            Assert.Ignore("::1 cannot be bound on this machine.");
            return;
        }

        await using (emulator)
        {
            using var client = EmulatorHarness.CreateClient(emulator.GraphV1Url, "t");
            using var response = await client.GetAsync($"users/{EmulatorHarness.NewId()}/presence");

            Assert.That(emulator.BaseAddress.ToString(), Does.StartWith("http://[::1]:"));
            Assert.That((int)response.StatusCode, Is.EqualTo(200));
        }
    }

    [Test]
    public async Task StartAsync_OptionsChangedAfterStart_HaveNoEffect()
    {
        var options = new PresenceEmulatorOptions { TimeProvider = new FakeTimeProvider(), Mode = PresenceEmulatorMode.Seed };
        await using var emulator = await PresenceEmulator.StartAsync(options);

        options.Mode = PresenceEmulatorMode.Graph;

        Assert.That(emulator.Options.Mode, Is.EqualTo(PresenceEmulatorMode.Seed));
        Assert.That(emulator.Options, Is.Not.SameAs(options));
    }

    [Test]
    public async Task DisposeAsync_StopsListening()
    {
        var emulator = await PresenceEmulator.StartAsync();
        using var client = EmulatorHarness.CreateClient(emulator.GraphV1Url, "t");
        using (var before = await client.GetAsync($"users/{EmulatorHarness.NewId()}/presence"))
        {
            Assert.That((int)before.StatusCode, Is.EqualTo(200));
        }

        await emulator.DisposeAsync();
        await emulator.DisposeAsync();

        using var fresh = EmulatorHarness.CreateClient(emulator.GraphV1Url, "t");
        await Assert.ThrowsAsync<HttpRequestException>(() => fresh.GetAsync($"users/{EmulatorHarness.NewId()}/presence"));
    }

    [Test]
    public async Task PublicApi_NullOrBlankUserId_ThrowsArgumentException()
    {
        await using var sut = await EmulatorHarness.StartAsync();

        Assert.Throws<ArgumentNullException>(() => sut.Emulator.GetPresence(null!));
        Assert.Throws<ArgumentException>(() => sut.Emulator.GetSessions(" "));
        Assert.Throws<ArgumentNullException>(() => sut.Emulator.AddFault(null!));
    }
}
