using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PresenceKeepAlive.Emulator;

namespace PresenceKeepAlive.Samples.Tests.Readme;

/// <summary>The README's multi-tenant configuration, run as written against the emulator (only BaseUrl passed on the command line).</summary>
public sealed partial class MultiTenantReadmeTests
{
    private static readonly TimeSpan RealTimeCap = TimeSpan.FromSeconds(20);

    [Test]
    public async Task MultiTenantSection_PointedAtTheEmulator_SetsEveryTenantsUsersThroughTheirAppsAndSignsThemOff()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "README.md"));
        var appsettings = JsonBlock().Matches(readme).Select(m => m.Groups["json"].Value).Single(j => j.Contains("\"Tenants\"", StringComparison.Ordinal));
        await using var emulator = await PresenceEmulator.StartAsync();

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(appsettings)));
        builder.Configuration.AddCommandLine([$"--PresenceKeepAlive:BaseUrl={emulator.GraphV1Url}"]);
        builder.Services.AddPresenceRegistrations(builder.Configuration.GetSection("PresenceKeepAlive"));
        using var host = builder.Build();

        await host.StartAsync();
        await WaitUntilAsync(() =>
            Shows(emulator, "adele@contoso.com", "Busy", "InACall") &&
            Shows(emulator, "alex@fabrikam.com", "Available", "Available") &&
            Shows(emulator, "megan@fabrikam.com", "Available", "Available"));
        var provider = host.Services.GetRequiredService<IPresenceSessionManagerProvider>();
        var fabrikam = (IPresenceAppPool)provider.GetManager("fabrikam");
        var sessionIds = new[] { "alex@fabrikam.com", "megan@fabrikam.com" }.Select(u => emulator.GetSessions(u).Single().SessionId).ToList();

        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(provider.Names, Is.EqualTo(new[] { "contoso", "fabrikam" }));
            Assert.That(emulator.GetSessions("adele@contoso.com"), Is.Empty, "signed off on stop");
            Assert.That(emulator.GetSessions("alex@fabrikam.com"), Is.Empty, "signed off on stop");
            Assert.That(fabrikam.ClientIds, Is.EqualTo(new[] { "1c8e4f0a-7d2b-4a6e-9f3c-5b1a2d4e6f80", "2d9f5a1b-8e3c-4b7f-8a4d-6c2b3e5f7a91" }));
            Assert.That(sessionIds, Is.EqualTo(new[] { fabrikam.GetClientId("alex@fabrikam.com"), fabrikam.GetClientId("megan@fabrikam.com") }), "each user set by the app the pool assigns");
            Assert.That(fabrikam.ClientIds, Is.SupersetOf(sessionIds.Distinct()));
            Assert.That(emulator.Counters.UnauthorizedRequests, Is.Zero);
        });
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
                Assert.Fail("The emulator never showed the multi-tenant section's users.");
            }

            await Task.Yield();
        }
    }

    [GeneratedRegex("^```json\\r?\\n(?<json>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
