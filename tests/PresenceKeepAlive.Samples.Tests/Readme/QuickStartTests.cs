using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PresenceKeepAlive.Emulator;

namespace PresenceKeepAlive.Samples.Tests.Readme;

/// <summary>
/// The README's quick start as a new user runs it against the emulator: its Program.cs, its appsettings.json (client
/// secret and all), and the two command-line settings the README says to pass.
/// </summary>
public sealed partial class QuickStartTests
{
    private static readonly TimeSpan RealTimeCap = TimeSpan.FromSeconds(20);

    [Test]
    public async Task QuickStart_AppsettingsPointedAtTheEmulator_ShowsTheUsersAndSignsThemOffOnStop()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "README.md"));
        var appsettings = JsonBlock().Match(readme).Groups["json"].Value;
        Assert.That(appsettings, Does.Contain("\"ClientSecret\""), "the quick start's appsettings.json");
        await using var emulator = await PresenceEmulator.StartAsync();
        string[] args = [$"--PresenceKeepAlive:BaseUrl={emulator.GraphV1Url}", "--PresenceKeepAlive:ClientId=5f0e8a4c-2b1d-4e6f-9a7b-3c2d1e0f9a8b"];

        // Program.cs of the quick start, with appsettings.json from the README and args from the command line.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(appsettings)));
        builder.Configuration.AddCommandLine(args);
        builder.Services.AddPresenceSession(builder.Configuration.GetSection("PresenceKeepAlive"));
        using var host = builder.Build();

        await host.StartAsync();
        await WaitUntilAsync(() => Shows(emulator, "adele@contoso.com", "Busy", "InACall") &&
                                   Shows(emulator, "0f8fad5b-d9cb-469f-a165-70867728950e", "Available", "Available"));
        await host.StopAsync();

        Assert.That(emulator.GetSessions("adele@contoso.com"), Is.Empty, "signed off on stop");
        Assert.That(emulator.Counters.UnauthorizedRequests, Is.Zero);
    }

    private static bool Shows(PresenceEmulator emulator, string userId, string availability, string activity) =>
        emulator.GetPresence(userId) is { } p && p.Availability == availability && p.Activity == activity;

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > RealTimeCap)
            {
                Assert.Fail("The emulator never showed the quick start's users.");
            }

            await Task.Yield();
        }
    }

    [GeneratedRegex("^```json\\r?\\n(?<json>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
