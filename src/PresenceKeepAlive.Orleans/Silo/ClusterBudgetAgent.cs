using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Orleans.Grains;
using PresenceKeepAlive.Orleans.Internal;
using PresenceKeepAlive.Registrations.Internal;

namespace PresenceKeepAlive.Orleans.Silo;

/// <summary>
/// A silo's membership agent. It keeps this silo's share of every budget (<see cref="BudgetShare"/>) applied to the silo's
/// gates (each app and tenant, and each app's global cap), reads the membership table every
/// <see cref="PresenceClusterOptions.MembershipReadInterval"/> to fence itself when cut off, and, when another silo shuts
/// down, stops or dies, wakes the buckets,
/// so that the sessions the departed silo held are activated elsewhere and refreshed without waiting for a caller or a
/// reminder (every active silo wakes every bucket; a bucket answers wakes that come together once). One per silo.
/// </summary>
internal sealed partial class ClusterBudgetAgent : IAsyncDisposable
{
    private readonly PresenceRegistry _registry;
    private readonly GlobalAppGates _globalGates;
    private readonly IClusterMembershipService _membership;
    private readonly ILocalSiloDetails _silo;
    private readonly IGrainFactory _grains;
    private readonly PresenceClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ClusterDiagnostics _diagnostics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _lock = new();
    private readonly Dictionary<SiloAddress, SiloStatus> _statuses = [];
    private BudgetShare? _share;
    private int _applied = -1;
    private Task _loops = Task.CompletedTask;

    public ClusterBudgetAgent(
        PresenceRegistry registry,
        GlobalAppGates globalGates,
        IClusterMembershipService membership,
        ILocalSiloDetails silo,
        IGrainFactory grains,
        Microsoft.Extensions.Options.IOptions<PresenceClusterOptions> options,
        TimeProvider time,
        ClusterDiagnostics diagnostics,
        ILogger<ClusterBudgetAgent> logger)
    {
        _registry = registry;
        _globalGates = globalGates;
        _membership = membership;
        _silo = silo;
        _grains = grains;
        _options = options.Value;
        _time = time;
        _diagnostics = diagnostics;
        _logger = logger;
    }

    /// <summary>Gets the divisor applied to the gates now (0: this silo sends nothing), or -1 before <see cref="Initialize"/>.</summary>
    public int AppliedDivisor => Volatile.Read(ref _applied);

    /// <summary>Gets the share rules (for tests).</summary>
    internal BudgetShare? Share => _share;

    private long NowTicks => _time.GetUtcNow().UtcTicks;

    /// <summary>Closes every gate of the silo (the registrations are built): a silo starts with no share.</summary>
    public void Initialize()
    {
        lock (_lock)
        {
            var window = Gates().Select(g => g.Window).DefaultIfEmpty(TimeSpan.FromSeconds(30)).Max();
            _share = new BudgetShare(window, _options.FenceAfter, NowTicks);
            ApplyLocked();
        }
    }

    /// <summary>Starts watching the membership and reading the table.</summary>
    public void Start()
    {
        lock (_lock)
        {
            _share ??= new BudgetShare(TimeSpan.FromSeconds(30), _options.FenceAfter, NowTicks);
            OnSnapshotLocked(_membership.CurrentSnapshot, wake: false);
        }

        _loops = Task.WhenAll(Task.Run(() => WatchAsync(_stop.Token)), Task.Run(() => ReadAsync(_stop.Token)), Task.Run(() => TickAsync(_stop.Token)));
    }

    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await _loops.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var snapshot in _membership.MembershipUpdates.WithCancellation(ct).ConfigureAwait(false))
            {
                lock (_lock)
                {
                    OnSnapshotLocked(snapshot, wake: true);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.WatchFailed(_logger, ex);
        }
    }

    private async Task ReadAsync(CancellationToken ct)
    {
        var interval = _options.MembershipReadInterval > TimeSpan.Zero ? _options.MembershipReadInterval : TimeSpan.FromSeconds(3);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // A successful read proves this silo can still see the table; failing for FenceAfter fences it.
                // The read proves what the table said when it was asked, not when it answered: stamp it before.
                var askedAt = NowTicks;
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
                bounded.CancelAfter(_options.FenceAfter > TimeSpan.Zero ? _options.FenceAfter : TimeSpan.FromSeconds(9));
                await _membership.Refresh(default, bounded.Token).ConfigureAwait(false);
                lock (_lock)
                {
                    _share!.OnRead(askedAt);
                    OnSnapshotLocked(_membership.CurrentSnapshot, wake: true);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ReadFailed(_logger, ex);
                lock (_lock)
                {
                    ApplyLocked();
                }
            }

            try
            {
                await Task.Delay(interval, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Applies due grows, warm-up ends and fences once a second, whatever the table reads do (a read may hang).</summary>
    private async Task TickAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                lock (_lock)
                {
                    ApplyLocked();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void OnSnapshotLocked(ClusterMembershipSnapshot snapshot, bool wake)
    {
        var self = _silo.SiloAddress;
        var senders = 0;
        var leaving = new List<(SiloAddress Silo, SiloStatus Status)>();
        foreach (var (address, member) in snapshot.Members)
        {
            var status = member.Status;
            if (status is not SiloStatus.Dead and not SiloStatus.None)
            {
                senders++;
            }

            var before = _statuses.TryGetValue(address, out var known) ? known : SiloStatus.None;
            if (before != status)
            {
                _statuses[address] = status;
                if (!address.Equals(self) && status is SiloStatus.ShuttingDown or SiloStatus.Stopping or SiloStatus.Dead && before is not SiloStatus.Dead)
                {
                    leaving.Add((address, status));
                }
            }
        }

        var selfDead = snapshot.GetSiloStatus(self) == SiloStatus.Dead;
        _share!.OnView(senders, selfDead, NowTicks);
        ApplyLocked();
        if (wake && leaving.Count > 0 && !selfDead)
        {
            foreach (var (silo, status) in leaving)
            {
                Log.SiloLeaving(_logger, silo.ToString(), status.ToString());
                _diagnostics.Raise(ClusterEventKind.SiloLeaving, silo.ToString(), detail: status.ToString());
            }

            // Every active silo wakes every bucket: views differ between silos for a moment (one may see a joiner the
            // other does not yet), and a split by rank could leave buckets to nobody. A bucket answers wakes that come
            // together once, so this costs one grain call a bucket and silo.
            if (snapshot.GetSiloStatus(self) == SiloStatus.Active)
            {
                _ = WakeBucketsAsync();
            }
        }
    }

    /// <summary>Applies the share in force to every gate of the silo, and pumps the schedulers when it grew.</summary>
    private void ApplyLocked()
    {
        var divisor = _share!.DivisorAt(NowTicks);
        foreach (var gate in Gates())
        {
            // Every time, not only on a change: a gate created since (an app added at run time) gets the share too.
            gate.SetLimit(BudgetShare.Share(gate.ConfiguredLimitPerWindow, divisor));
        }

        if (divisor == _applied)
        {
            return;
        }

        Volatile.Write(ref _applied, divisor);

        Log.ShareChanged(_logger, divisor);
        _diagnostics.Raise(ClusterEventKind.BudgetShareChanged, _silo.SiloAddress.ToString(), divisor);
        if (divisor > 0)
        {
            // A scheduler waiting for a place may sleep until one is released: wake it to use the larger share.
            foreach (var slot in _registry.Pools.SelectMany(p => p.Slots))
            {
                slot.Manager.Scheduler.Pump(null);
            }
        }
    }

    private IEnumerable<RequestGate> Gates() =>
        _registry.Pools.SelectMany(p => p.Slots).Select(s => s.Gate).Concat(_globalGates.Gates.Values).Distinct();

    private async Task WakeBucketsAsync()
    {
        try
        {
            var count = Math.Max(1, _options.BucketCount);
            var wakes = new List<Task<int>>();
            foreach (var registration in _registry.NamedRegistrations)
            {
                for (var b = 0; b < count; b++)
                {
                    var bucket = _grains.GetGrain<IPresenceBucketGrain>(SessionKeys.Bucket(registration, b));
                    wakes.Add(GrainCalls.RetryAsync(() => bucket.WakeAsync(), _time, _stop.Token));
                }
            }

            var sessions = (await Task.WhenAll(wakes).ConfigureAwait(false)).Sum();
            Log.BucketsWoken(_logger, wakes.Count, sessions);
            _diagnostics.Raise(ClusterEventKind.BucketsWoken, _silo.SiloAddress.ToString(), sessions);
        }
        catch (Exception ex)
        {
            // The buckets' reminders wake them within a minute or so anyway.
            Log.WakeFailed(_logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(310, LogLevel.Information, "This silo's share of each presence budget is now 1/{Divisor} (0: it sends nothing until it has read the membership or finished warming up).")]
        public static partial void ShareChanged(ILogger logger, int divisor);

        [LoggerMessage(311, LogLevel.Information, "Silo {Silo} is {Status}: waking this silo's share of the presence buckets, so that its sessions are taken over.")]
        public static partial void SiloLeaving(ILogger logger, string silo, string status);

        [LoggerMessage(312, LogLevel.Information, "Woke {Buckets} presence buckets holding {Sessions} sessions.")]
        public static partial void BucketsWoken(ILogger logger, int buckets, int sessions);

        [LoggerMessage(313, LogLevel.Warning, "Waking presence buckets failed; their reminders wake them later.")]
        public static partial void WakeFailed(ILogger logger, Exception exception);

        [LoggerMessage(314, LogLevel.Warning, "Reading the membership table failed; past the fence time this silo stops sending presence requests until a read succeeds.")]
        public static partial void ReadFailed(ILogger logger, Exception exception);

        [LoggerMessage(315, LogLevel.Error, "Watching the cluster membership stopped; sessions of silos that leave are taken over only when their buckets' reminders fire.")]
        public static partial void WatchFailed(ILogger logger, Exception exception);
    }
}
