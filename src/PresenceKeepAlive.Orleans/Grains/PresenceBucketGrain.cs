using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using PresenceKeepAlive.Orleans.Internal;
using PresenceKeepAlive.Orleans.Silo;

namespace PresenceKeepAlive.Orleans.Grains;

/// <summary>
/// <see cref="IPresenceBucketGrain"/>: the sessions of a registration that hash to it and want a state kept, in grain storage,
/// and one reminder. The membership watcher of the silos wakes buckets when a silo leaves (the fast path: about a second and
/// a half); the reminder is the backstop that needs nobody (a whole cluster restarted, a membership change missed): on the
/// first tick after the bucket is activated, and on every tenth after that, it wakes its sessions. Reentrant, so that a wake
/// in progress never blocks a session adding itself; writes go out one at a time.
/// </summary>
[Reentrant]
internal sealed partial class PresenceBucketGrain : Grain, IPresenceBucketGrain, IRemindable
{
    /// <summary>The reminder's name.</summary>
    public const string ReminderName = "presence-wake";

    /// <summary>Every how many reminder ticks a bucket that has woken its sessions once wakes them again (a sweep).</summary>
    public const int SweepEvery = 10;

    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    private readonly IPersistentState<BucketRecord> _state;
    private readonly ClusterDiagnostics _diagnostics;
    private readonly ClusterEngine _engine;
    private readonly TimeProvider _time;
    private readonly IClusterMembershipService _membership;
    private readonly ILogger _logger;
    private readonly StateWriter _writer;
    private static readonly TimeSpan CoalesceWakesWithin = TimeSpan.FromSeconds(5);

    private bool _reminderChecked;
    private Task<int>? _waking;
    private DateTimeOffset _lastWake;
    private long _ticks;

    public PresenceBucketGrain(
        [PersistentState("bucket", PresenceClusterOptions.StorageProviderName)] IPersistentState<BucketRecord> state,
        ClusterDiagnostics diagnostics,
        ClusterEngine engine,
        TimeProvider time,
        IClusterMembershipService membership,
        ILogger<PresenceBucketGrain> logger)
    {
        _membership = membership;
        _engine = engine;
        _state = state;
        _diagnostics = diagnostics;
        _time = time;
        _logger = logger;
        _writer = new StateWriter(() => _state.WriteStateAsync());
    }

    public async Task AddAsync(string userId)
    {
        await EnsureReminderAsync();
        if (_state.State.Users.Add(userId))
        {
            await _writer.SaveAsync();
        }
    }

    public async Task RemoveAsync(string userId)
    {
        if (_state.State.Users.Remove(userId))
        {
            await _writer.SaveAsync();
        }
    }

    public Task<int> WakeAsync()
    {
        // Wakes that come together (every silo wakes every bucket when one leaves) are answered by one round.
        if (_waking is { IsCompleted: false } waking)
        {
            return waking;
        }

        if (_time.GetUtcNow() - _lastWake < CoalesceWakesWithin && _waking is { IsCompletedSuccessfully: true } done)
        {
            return done;
        }

        _waking = WakeAllAsync();
        return _waking;
    }

    private async Task<int> WakeAllAsync()
    {
        var (registration, _) = SessionKeys.Split(this.GetPrimaryKeyString());
        var users = _state.State.Users.ToArray();
        if (_engine.Closing)
        {
            // This silo is leaving: a bucket activated elsewhere does the waking.
            DeactivateOnIdle();
            return users.Length;
        }

        var calls = new Task[users.Length];
        for (var i = 0; i < users.Length; i++)
        {
            var session = GrainFactory.GetGrain<IPresenceSessionGrain>(SessionKeys.Session(registration, users[i]));
            calls[i] = WakeOneAsync(session);
        }

        try
        {
            await Task.WhenAll(calls);
        }
        catch (Exception ex) when (!_engine.Closing)
        {
            // Those that failed are woken by the next wake or sweep.
            Log.WakeFailed(_logger, this.GetPrimaryKeyString(), calls.Count(c => c.IsFaulted), users.Length, ex);
        }

        _lastWake = _time.GetUtcNow();
        return users.Length;
    }

    /// <summary>
    /// Wakes one session until a silo that is active in the cluster answers for it: a silo that was just killed can still
    /// answer for a while (in one process it does), and a session it answers for is not kept by anyone.
    /// </summary>
    private async Task WakeOneAsync(IPresenceSessionGrain session)
    {
        for (var attempt = 0; ; attempt++)
        {
            var holder = await GrainCalls.RetryAsync(() => session.WakeAsync(), _time);
            if (_membership.CurrentSnapshot.GetSiloStatus(holder) == SiloStatus.Active || attempt >= 6 || _engine.Closing)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250 << attempt), _time);
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!string.Equals(reminderName, ReminderName, StringComparison.Ordinal))
        {
            return;
        }

        _reminderChecked = true;
        if (_ticks++ % SweepEvery == 0 && _state.State.Users.Count > 0)
        {
            var woken = await WakeAsync();
            _diagnostics.Raise(ClusterEventKind.BucketsWoken, count: woken, detail: "reminder " + this.GetPrimaryKeyString());
        }
    }

    private async Task EnsureReminderAsync()
    {
        if (_reminderChecked)
        {
            return;
        }

        // Once an activation: a reminder survives the silo; registering it again only moves its next tick.
        if (await this.GetReminder(ReminderName) is null)
        {
            await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
        }

        _reminderChecked = true;
    }

    private static partial class Log
    {
        [LoggerMessage(330, LogLevel.Warning, "Waking {Failed} of the {Sessions} presence sessions of bucket {Bucket} failed; the next wake or reminder sweep tries again.")]
        public static partial void WakeFailed(ILogger logger, string bucket, int failed, int sessions, Exception exception);
    }
}
