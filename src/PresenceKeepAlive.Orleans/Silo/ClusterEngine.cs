using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using PresenceKeepAlive.Orleans.Grains;
using PresenceKeepAlive.Orleans.Internal;
using PresenceKeepAlive.Registrations.Internal;

namespace PresenceKeepAlive.Orleans.Silo;

/// <summary>
/// A silo's part of the distributed mode: the engine the session grains of this silo hand their states to (the process's
/// presence registrations: one scheduler and one gate per app and tenant), and the silo lifecycle around it. On start it
/// builds every registration (with its gates at 0 until the budget agent gives this silo its share), then starts the agent
/// and sets the configured sessions; on stop it releases every session without sending anything, before Orleans deactivates
/// the grains, so that stopping or dying is a hand-over and signs nobody off. One per silo.
/// </summary>
internal sealed partial class ClusterEngine : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private int _closing;

    public ClusterEngine(
        PresenceRegistry registry,
        IOptions<PresenceClusterOptions> options,
        ILocalSiloDetails silo,
        ClusterDiagnostics diagnostics,
        IServiceProvider services,
        ILogger<ClusterEngine> logger)
    {
        Registry = registry;
        Options = options.Value;
        SiloAddress = silo.SiloAddress;
        SiloName = silo.SiloAddress.ToString();
        Diagnostics = diagnostics;
        _services = services;
        _logger = logger;
    }

    public PresenceRegistry Registry { get; }

    public PresenceClusterOptions Options { get; }

    public string SiloName { get; }

    public SiloAddress SiloAddress { get; }

    public ClusterDiagnostics Diagnostics { get; }

    /// <summary>Gets a value indicating whether the silo is stopping: sessions activated now are not started here.</summary>
    public bool Closing => Volatile.Read(ref _closing) != 0;

    /// <summary>Returns registration <paramref name="name"/>'s pool.</summary>
    /// <exception cref="KeyNotFoundException">The silo has no such registration; the message lists those it has.</exception>
    public PresenceAppPool Pool(string name) => Registry.GetPool(name);

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(nameof(ClusterEngine), ServiceLifecycleStage.ApplicationServices, OnBuildAsync, _ => Task.CompletedTask);
        lifecycle.Subscribe(nameof(ClusterEngine), ServiceLifecycleStage.Active, OnActiveAsync, OnStoppingAsync);
    }

    private Task OnBuildAsync(CancellationToken ct)
    {
        if (Registry.Names.Contains(string.Empty))
        {
            throw new InvalidOperationException(
                "The distributed mode serves named presence registrations only: replace services.AddPresenceSession(configuration) " +
                "with services.AddPresenceSession(\"name\", configuration) or services.AddPresenceRegistrations(section).");
        }

        if (Registry.NamedRegistrations.Count == 0)
        {
            throw new InvalidOperationException(
                "siloBuilder.AddPresenceKeepAlive() found no presence registration: add one with services.AddPresenceSession(\"name\", …) " +
                "or services.AddPresenceRegistrations(section) (the same on every silo).");
        }

        foreach (var name in Registry.NamedRegistrations)
        {
            SessionKeys.ValidateRegistration(name);
            _ = Registry.GetPool(name);
        }

        // No budget before the agent says which share is this silo's (a joiner starts at none).
        _services.GetRequiredService<ClusterBudgetAgent>().Initialize();
        return Task.CompletedTask;
    }

    private Task OnActiveAsync(CancellationToken ct)
    {
        _services.GetRequiredService<ClusterBudgetAgent>().Start();
        if (Options.SetConfiguredSessions)
        {
            _ = SetConfiguredSessionsAsync();
        }

        return Task.CompletedTask;
    }

    private async Task OnStoppingAsync(CancellationToken ct)
    {
        // Runs before Orleans deactivates the grains: from here on nothing is sent for any session of this silo, and
        // nobody is signed off. The silos that take the sessions over see this one leave and wake them.
        Volatile.Write(ref _closing, 1);
        var released = 0;
        foreach (var pool in Registry.Pools)
        {
            released += pool.Count;
            pool.ReleaseAll();
        }

        Log.SessionsReleased(_logger, released, ct.IsCancellationRequested ? "stopping at once" : "shutting down");
        Diagnostics.Raise(ClusterEventKind.SessionsReleased, SiloName, released);
        await _services.GetRequiredService<ClusterBudgetAgent>().StopAsync().ConfigureAwait(false);
    }

    private async Task SetConfiguredSessionsAsync()
    {
        var grains = _services.GetRequiredService<IGrainFactory>();
        var monitor = _services.GetRequiredService<IOptionsMonitor<PresenceKeepAliveOptions>>();
        var tasks = new List<Task>();
        foreach (var name in Registry.NamedRegistrations)
        {
            var options = monitor.Get(name);
            foreach (var session in options.Sessions)
            {
                if (session?.UserId is not { Length: > 0 } userId || session.Availability is null || session.Activity is null)
                {
                    continue;
                }

                tasks.Add(EnsureAsync(grains.GetGrain<IPresenceSessionGrain>(SessionKeys.Session(name, userId)), name, userId, session.Availability, session.Activity));
            }
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task EnsureAsync(IPresenceSessionGrain grain, string registration, string userId, string availability, string activity)
    {
        try
        {
            var snapshot = await grain.EnsureAsync(availability, activity).ConfigureAwait(false);
            if (snapshot.Failure is { } failure)
            {
                Log.ConfiguredSessionFailed(_logger, registration, userId, failure.Message, null);
            }
        }
        catch (Exception ex)
        {
            Log.ConfiguredSessionFailed(_logger, registration, userId, ex.Message, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Information, "Released {Sessions} presence sessions without signing anyone off (the silo is {Mode}); the silos that take them over refresh them.")]
        public static partial void SessionsReleased(ILogger logger, int sessions, string mode);

        [LoggerMessage(301, LogLevel.Warning, "Setting the configured presence session of {UserId} in registration '{Registration}' failed: {Message}")]
        public static partial void ConfiguredSessionFailed(ILogger logger, string registration, string userId, string message, Exception? exception);
    }
}
