using System.Globalization;
using PresenceKeepAlive.Emulator;

namespace PresenceKeepAlive.Sample;

/// <summary>The demo's settings and its final check.</summary>
internal static class Demo
{
    /// <summary>Emulated seconds per real second: one emulated minute lasts one real second.</summary>
    public const double TimeScale = 60;

    public const string Adele = "adele@contoso.com";
    public const string Alex = "alex@contoso.com";
    public const string Megan = "megan@contoso.com";
    public const string Lee = "lee@contoso.com";

    public static readonly string[] Users = [Adele, Alex, Megan, Lee];

    /// <summary>
    /// The same configuration keys a real deployment uses, scaled to the emulator's clock: the library's own timers
    /// run in real time, so a 5-minute Graph timeout becomes 5 s and the refresh interval 4 s. Durations sent to Graph
    /// (the lease) are read by the emulator in emulated time: PT15M lasts 15 s.
    /// </summary>
    public static Dictionary<string, string?> Settings(Uri graphUrl) => new()
    {
        ["PresenceKeepAlive:ClientId"] = "7d1f5c2e-4b6a-4c8e-9f3a-2b5d8e1c0a47",
        ["PresenceKeepAlive:BaseUrl"] = graphUrl.ToString(),
        ["PresenceKeepAlive:SessionTimeout"] = "00:00:05",
        ["PresenceKeepAlive:RefreshInterval"] = "00:00:04",
        ["PresenceKeepAlive:RefreshJitter"] = "00:00:00.500",
        ["PresenceKeepAlive:Lease"] = "00:15:00",
        ["PresenceKeepAlive:MaxRetryAttempts"] = "2",
        ["PresenceKeepAlive:RetryBaseDelay"] = "00:00:00.200",
        ["PresenceKeepAlive:RetryMaxDelay"] = "00:00:01",
        ["PresenceKeepAlive:AttemptTimeout"] = "00:00:02",
        ["PresenceKeepAlive:TotalRequestTimeout"] = "00:00:04",
        ["PresenceKeepAlive:SignOffOnDispose"] = "false",
        ["PresenceKeepAlive:Sessions:0:UserId"] = Adele,
        ["PresenceKeepAlive:Sessions:0:Availability"] = "Busy",
        ["PresenceKeepAlive:Sessions:0:Activity"] = "InACall",
        ["PresenceKeepAlive:Sessions:1:UserId"] = Alex,
        ["PresenceKeepAlive:Sessions:1:Availability"] = "Available",
        ["PresenceKeepAlive:Sessions:1:Activity"] = "Available",
        ["PresenceKeepAlive:Sessions:2:UserId"] = Megan,
        ["PresenceKeepAlive:Sessions:2:Availability"] = "DoNotDisturb",
        ["PresenceKeepAlive:Sessions:2:Activity"] = "Presenting",
        ["PresenceKeepAlive:Sessions:3:UserId"] = Lee,
        ["PresenceKeepAlive:Sessions:3:Availability"] = "Available",
        ["PresenceKeepAlive:Sessions:3:Activity"] = "Available",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        // The demo prints status changes itself (IPresenceSessionManager.StatusChanged); a real worker keeps these logs.
        ["Logging:LogLevel:PresenceKeepAlive"] = "None",
    };

    /// <summary>Prints what others see after sign-off and returns the exit code: 0 when every demo step did what it showed.</summary>
    public static int Finish(PresenceEmulator emulator, DemoReport? report)
    {
        Console.WriteLine();
        Console.WriteLine("4. Signed off. What others see now:");
        var allOffline = true;
        foreach (var user in Users)
        {
            var presence = emulator.GetPresence(user);
            allOffline &= presence.Availability == "Offline";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {user,-20} {presence.Availability}/{presence.Activity}"));
        }

        var failures = new List<string>(report?.Failures ?? ["the demo script did not run"]);
        if (!allOffline)
        {
            failures.Add("not every user was Offline after sign-off");
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Requests the emulator answered: {emulator.Counters.TotalRequests} ({emulator.Counters.InjectedFaults} of them injected faults, {emulator.Counters.ThrottledRequests} throttled)."));
        if (failures.Count == 0)
        {
            Console.WriteLine("Demo complete: presence was kept alive, recovered after the outage, faded when no longer refreshed, and signed off.");
            return 0;
        }

        Console.WriteLine("Demo FAILED: " + string.Join("; ", failures) + ".");
        return 1;
    }
}
