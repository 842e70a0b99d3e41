using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.Orleans.Silo;
using PresenceKeepAlive.Orleans.Tests.Shared;

namespace PresenceKeepAlive.Orleans.Tests.Infrastructure;

/// <summary>
/// A real Orleans cluster in this process (TestingHost's <see cref="InProcessTestCluster"/>), every silo with the
/// distributed mode and the same named registration against one presence emulator on loopback, a storage and a reminder
/// table that outlive any silo, and one log of every attempt any silo sent.
/// </summary>
/// <remarks>
/// Time runs 5 times faster than Graph's: every duration of Graph's model is divided by 5 (the inactivity timeout of
/// 5 minutes is 60 s, the budget of 1,500 per 30 s is 1,500 per 6 s, the cluster's refresh margin of 90 s is 18 s, the
/// failover allowance of 30 s is 6 s), on the engine and the emulator alike, so the ratios of load, budget and margins are
/// Graph's. Orleans itself (failure detection, activation, storage) runs at real speed, which makes failover look 5 times
/// slower against the margins than it would be: a harder test, not an easier one. Leases cannot go under Graph's 5-minute
/// minimum, so states other than Available last 5 minutes here.
/// </remarks>
internal sealed class PresenceCluster : IAsyncDisposable
{
    public const string Registration = "contoso";
    public const string TenantId = "7e000000-0000-4000-8000-0000000c1057";
    public const string ClientId = "7c0ffee0-0000-4000-8000-0000000c1057";

    public static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(18);
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(6);
    public const int Budget = 1500;

    /// <summary>Gets the refresh period of an Available session: the timeout less the margin.</summary>
    public static TimeSpan RefreshPeriod => SessionTimeout - RefreshMargin;

    private PresenceCluster(PresenceEmulator emulator, InProcessTestCluster cluster, AttemptLog attempts, ProcessWideGrainStorage storage, ProcessWideReminderTable reminders, ClusterLog log)
    {
        Log = log;
        Emulator = emulator;
        Cluster = cluster;
        Attempts = attempts;
        Storage = storage;
        Reminders = reminders;
    }

    public PresenceEmulator Emulator { get; }

    /// <summary>Gets what every silo logged (the library at Information and above, everything at Warning and above).</summary>
    public ClusterLog Log { get; }

    public InProcessTestCluster Cluster { get; }

    public AttemptLog Attempts { get; }

    public ProcessWideGrainStorage Storage { get; }

    public ProcessWideReminderTable Reminders { get; }

    /// <summary>Gets the application's manager, through the cluster's Orleans client.</summary>
    public IPresenceSessionManager Manager =>
        Cluster.Client.ServiceProvider.GetRequiredService<IPresenceSessionManagerProvider>().GetManager(Registration);

    public static string User(int i) => $"0a1b2c3d-0000-4000-8000-{i:x12}";

    /// <summary>Starts the emulator and a cluster of <paramref name="silos"/> silos.</summary>
    /// <param name="silos">How many silos.</param>
    /// <param name="configure">Further configuration of the registration, the same on every silo (configured sessions, say).</param>
    public static async Task<PresenceCluster> StartAsync(int silos, Action<PresenceKeepAliveOptions>? configure = null)
    {
        var emulator = await PresenceEmulator.StartAsync(new PresenceEmulatorOptions
        {
            InactivityTimeout = SessionTimeout,
            ThrottleLimit = Budget,
            ThrottleWindow = Window,
            MaxHistoryPerUser = 100,
        });
        var attempts = new AttemptLog();
        var storage = new ProcessWideGrainStorage();
        var reminders = new ProcessWideReminderTable();
        var log = new ClusterLog();
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddProcessWideGrainStorage(PresenceClusterOptions.StorageProviderName, storage);
            silo.UseProcessWideReminders(reminders);
            silo.AddPresenceKeepAlive(o =>
            {
                o.RefreshMargin = RefreshMargin;
                o.Lease = TimeSpan.FromMinutes(5);
                o.FailoverAllowance = TimeSpan.FromSeconds(6);
                o.MembershipReadInterval = TimeSpan.FromMilliseconds(500);
                o.FenceAfter = TimeSpan.FromSeconds(2);
            });
            silo.Services.AddLogging(l => l.AddProvider(log));
            silo.Services.AddPresenceSession(Registration, o =>
            {
                o.TenantId = TenantId;
                o.ClientId = ClientId;
                o.BaseUrl = emulator.GraphV1Url.ToString();
                o.SessionTimeout = SessionTimeout;
                o.RateLimitPerWindow = Budget;
                o.RateLimitWindow = Window;
                configure?.Invoke(o);
            }).HttpClientBuilder.AddHttpMessageHandler(sp => new AttemptRecorder(attempts, sp.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString()));
        });
        builder.ConfigureClient(client => client.AddPresenceKeepAliveClient(Registration));
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            await emulator.DisposeAsync();
            throw;
        }

        return new PresenceCluster(emulator, cluster, attempts, storage, reminders, log);
    }

    /// <summary>Gets the diagnostics of a silo.</summary>
    public static ClusterDiagnostics DiagnosticsOf(InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<ClusterDiagnostics>();

    /// <summary>Gets the share divisor a silo applies now (0: it sends nothing).</summary>
    public static int DivisorOf(InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<ClusterBudgetAgent>().AppliedDivisor;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Cluster.StopAllSilosAsync();
        }
        finally
        {
            await Cluster.DisposeAsync();
            await Emulator.DisposeAsync();
        }
    }
}
