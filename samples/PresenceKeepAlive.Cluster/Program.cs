// The PresenceKeepAlive cluster sample: three Orleans silos on localhost keep 300 users' presence alive against the
// embedded Graph presence emulator; halfway through, one silo is killed. The sample prints the failover timeline (the
// kill, its detection, the sessions taken over, their first refresh elsewhere) and exits 0 when no user's presence faded,
// 1 otherwise. It runs in about two minutes, with no tenant and no network.
//
// Time runs 5 times faster than Graph's, on the library and the emulator alike: Graph's 5-minute timeout lasts 60 s, its
// budget of 1,500 requests per 30 s is 1,500 per 6 s, and the cluster's refresh margin of 90 s is 18 s. Orleans runs at
// real speed, so failing over takes 5 times longer against those margins than it would against Graph.
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using PresenceKeepAlive;
using PresenceKeepAlive.Cluster;
using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.Orleans;
using PresenceKeepAlive.Orleans.Tests.Shared;

const int Users = 300;
const int Silos = 3;
const string Registration = "contoso";
var timeout = TimeSpan.FromSeconds(60);
var margin = TimeSpan.FromSeconds(18);
var period = timeout - margin;

await using var emulator = await PresenceEmulator.StartAsync(new PresenceEmulatorOptions
{
    InactivityTimeout = timeout,
    ThrottleWindow = TimeSpan.FromSeconds(6),
    ThrottleLimit = 1500,
});
Console.WriteLine($"Emulator at {emulator.GraphV1Url}; Graph's timings divided by 5: timeout {timeout.TotalSeconds:0} s, refresh every {period.TotalSeconds:0} s.");

var storage = new ProcessWideGrainStorage();
var reminders = new ProcessWideReminderTable();
var ports = FreePorts(2 * Silos);
var primary = new IPEndPoint(IPAddress.Loopback, ports[0]);
var timeline = new Timeline();
var hosts = new List<IHost>();
for (var i = 0; i < Silos; i++)
{
    hosts.Add(await StartSiloAsync(i));
}

Console.WriteLine($"{Silos} silos up on 127.0.0.1 ports {string.Join(", ", ports.Take(Silos))}.");

// The application: the same IPresenceSessionManager as in one process, here the co-hosted one of silo 0.
var manager = hosts[0].Services.GetRequiredService<IPresenceSessionManagerProvider>().GetManager(Registration);
var users = Enumerable.Range(0, Users).Select(i => $"0a1b2c3d-0000-4000-8000-{i:x12}").ToList();
var started = DateTimeOffset.UtcNow;
await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 50 }, async (user, ct) =>
    await manager.GetOrCreate(user).SetAsync(PresenceState.Available, ct));
Console.WriteLine($"{Users} users Available after {(DateTimeOffset.UtcNow - started).TotalSeconds:0.0} s (each silo's budget share opens once it has seen the others).");

// Halfway: which silo holds whom, then kill silo 2 (never silo 0: with localhost clustering it holds the membership table).
await Task.Delay(period / 2);
var holders = await Inspection.HoldersAsync(manager);
foreach (var group in holders.GroupBy(h => h.Value).OrderBy(g => g.Key))
{
    Console.WriteLine($"  {group.Key} holds {group.Count()} sessions");
}

var victim = hosts[2];
var victimName = Inspection.SiloName(victim.Services);
var moved = holders.Where(h => h.Value == victimName).Select(h => h.Key).ToList();
var killedAt = DateTimeOffset.UtcNow;
var emulatorKilledAt = emulator.EmulatedNow;
Console.WriteLine($"{killedAt:HH:mm:ss.fff}  kill {victimName} ({moved.Count} sessions), without a graceful stop");
using (var now = new CancellationTokenSource())
{
    await now.CancelAsync();
    await victim.StopAsync(now.Token);
}

victim.Dispose();
hosts.Remove(victim);

// Until every moved session is refreshed elsewhere, then until one timeout after the kill (a lapse would show by then).
var refreshed = new Dictionary<string, DateTimeOffset>();
while (refreshed.Count < moved.Count && DateTimeOffset.UtcNow - killedAt < period + TimeSpan.FromSeconds(10))
{
    foreach (var user in moved.Where(u => !refreshed.ContainsKey(u)))
    {
        if (emulator.GetSessions(user).Where(s => s.LastRefreshed > emulatorKilledAt).Select(s => (DateTimeOffset?)s.LastRefreshed).Min() is { } at)
        {
            refreshed[user] = at;
        }
    }

    await Task.Delay(TimeSpan.FromMilliseconds(200));
}

var detected = timeline.First(Timeline.Kind.Detected, victimName);
var movedKeys = moved.Select(u => $"{Registration}/{u.ToLowerInvariant()}").ToHashSet(StringComparer.Ordinal);
var takenOver = timeline.Count(Timeline.Kind.TakenOver, after: killedAt, movedKeys);
var lastTakenOver = timeline.Last(Timeline.Kind.TakenOver, after: killedAt, movedKeys);
Console.WriteLine($"{At(detected)}  detected by the other silos ({Since(detected)})");
Console.WriteLine($"{At(lastTakenOver)}  {takenOver}/{moved.Count} of its sessions taken over by the other silos (the last {Since(lastTakenOver)})");
if (refreshed.Count > 0)
{
    var first = refreshed.Values.Min() - emulatorKilledAt;
    var last = refreshed.Values.Max() - emulatorKilledAt;
    Console.WriteLine($"{(killedAt + first):HH:mm:ss.fff}  first moved session refreshed elsewhere (+{first.TotalSeconds:0.00} s)");
    Console.WriteLine($"{(killedAt + last):HH:mm:ss.fff}  {refreshed.Count}/{moved.Count} moved sessions refreshed elsewhere, the last +{last.TotalSeconds:0.00} s (refresh period {period.TotalSeconds:0} s)");
}

var wait = timeout + TimeSpan.FromSeconds(2) - (DateTimeOffset.UtcNow - killedAt);
if (wait > TimeSpan.Zero)
{
    Console.WriteLine($"Watching for lapses until one timeout after the kill ({wait.TotalSeconds:0} s)...");
    await Task.Delay(wait);
}

var faded = users.Where(u => emulator.GetHistory(u).Any(c => c.Activity is "AvailableInactive" or "Away" or "Offline")).ToList();
var notShown = users.Where(u => emulator.GetPresence(u) is { Availability: not "Available" }).ToList();
Console.WriteLine($"Lapses: {faded.Count} users faded, {notShown.Count} not Available now; 429s: {emulator.Counters.ThrottledRequests}; sign-offs sent by silos: {emulator.Counters.GetCount(EmulatorOperation.ClearPresence)}.");

// The application ends its sessions: each is signed off (disposing signs off, as in one process).
await Parallel.ForEachAsync(manager.Sessions.ToList(), new ParallelOptions { MaxDegreeOfParallelism = 50 }, async (s, _) => await s.DisposeAsync());
Console.WriteLine($"Signed everyone off: {users.Count(u => emulator.GetPresence(u).Availability == "Offline")}/{Users} Offline.");
foreach (var host in hosts.AsEnumerable().Reverse())
{
    await host.StopAsync();
    host.Dispose();
}

var ok = faded.Count == 0 && notShown.Count == 0 && refreshed.Count == moved.Count;
Console.WriteLine(ok ? "No user lapsed: exit 0." : "Some users lapsed or were not refreshed elsewhere: exit 1.");
return ok ? 0 : 1;

async Task<IHost> StartSiloAsync(int index)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
    // Orleans logs a killed silo's undelivered messages as errors; the timeline below says what happened.
    builder.Logging.AddFilter("Orleans", LogLevel.Critical);
    builder.UseOrleans(silo =>
    {
        silo.UseLocalhostClustering(ports[index], ports[Silos + index], primary, serviceId: "presence-sample", clusterId: "presence-sample");
        silo.AddProcessWideGrainStorage(PresenceClusterOptions.StorageProviderName, storage);
        silo.UseProcessWideReminders(reminders);
        silo.AddPresenceKeepAlive(o =>
        {
            o.RefreshMargin = margin;
            o.FailoverAllowance = TimeSpan.FromSeconds(6);
            o.MembershipReadInterval = TimeSpan.FromMilliseconds(500);
            o.FenceAfter = TimeSpan.FromSeconds(2);
        });
    });

    // The same registration on every silo (in production: the same configuration section).
    builder.Services.AddPresenceSession(Registration, o =>
    {
        o.TenantId = "7e000000-0000-4000-8000-0000000c1057";
        o.ClientId = "7c0ffee0-0000-4000-8000-0000000c1057";
        o.BaseUrl = emulator.GraphV1Url.ToString();
        o.SessionTimeout = timeout;
        o.RateLimitPerWindow = 1500;
        o.RateLimitWindow = TimeSpan.FromSeconds(6);
    });
    var host = builder.Build();
    timeline.Watch(host.Services);
    await host.StartAsync();
    return host;
}

static int[] FreePorts(int count)
{
    var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
    listeners.ForEach(l => l.Start());
    var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
    listeners.ForEach(l => l.Stop());
    return ports;
}

string At(DateTimeOffset? at) => at is { } t ? $"{t:HH:mm:ss.fff}" : "--:--:--.---";

string Since(DateTimeOffset? at) => at is { } t ? $"+{(t - killedAt).TotalSeconds:0.00} s" : "not seen";
