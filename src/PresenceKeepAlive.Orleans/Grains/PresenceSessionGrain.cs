using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using PresenceKeepAlive.Orleans.Internal;
using PresenceKeepAlive.Orleans.Silo;
using PresenceKeepAlive.Registrations.Internal;

namespace PresenceKeepAlive.Orleans.Grains;

/// <summary>
/// <see cref="IPresenceSessionGrain"/>. Reentrant: a newer desire is recorded while an older one waits for the service, as in
/// the one-process engine (last write wins); writes go out one at a time (<see cref="StateWriter"/>). Exempt from idle
/// collection: it lives as long as its silo, or until the application disposes the session.
/// </summary>
[Reentrant]
[KeepAlive]
internal sealed partial class PresenceSessionGrain : Grain, IPresenceSessionGrain
{
    /// <summary>How long a call waits for the service before it answers that the request is still on its way.</summary>
    private static readonly TimeSpan GrainWait = TimeSpan.FromSeconds(90);

    private readonly IPersistentState<SessionRecord> _state;
    private readonly ClusterEngine _engine;
    private readonly ILogger _logger;
    private readonly StateWriter _writer;
    private string _registration = string.Empty;
    private string _userId = string.Empty;
    private PresenceAppPool? _pool;
    private string? _poolError;
    private IPresenceSession? _local;

    public PresenceSessionGrain(
        [PersistentState("session", PresenceClusterOptions.StorageProviderName)] IPersistentState<SessionRecord> state,
        ClusterEngine engine,
        ILogger<PresenceSessionGrain> logger)
    {
        _state = state;
        _engine = engine;
        _logger = logger;
        _writer = new StateWriter(() => _state.WriteStateAsync());
    }

    private SessionRecord Record => _state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_registration, _userId) = SessionKeys.Split(this.GetPrimaryKeyString());
        try
        {
            _pool = _engine.Pool(_registration);
        }
        catch (KeyNotFoundException ex)
        {
            _poolError = ex.Message;
        }

        if (_engine.Closing)
        {
            DeactivateOnIdle();
        }
        else if (_pool is not null && Record.Desire == SessionDesire.Wanted)
        {
            TakeOver();
        }
        else if (_pool is not null && Record.Desire == SessionDesire.Cleared && Record.ClearPending)
        {
            // A sign-off its previous holder recorded and did not get confirmed: send it (in a turn of its own).
            var self = this.AsReference<IPresenceSessionGrain>();
            _ = self.ClearAsync().ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Any reason (the silo stopping or dying, a duplicate activation, the session ended): stop here, send nothing, sign
        // nobody off. The holder that takes over keeps the state; only EndAsync or ClearAsync sign off.
        ReleaseLocal();
        return Task.CompletedTask;
    }

    public async Task<SessionSnapshot> SetAsync(string availability, string activity, CancellationToken cancellationToken = default)
    {
        if (Refuse(out var refused))
        {
            return refused;
        }

        if (Validate(availability, activity) is not { } state)
        {
            return Snapshot(WireMapping.ToWire(InvalidState(availability, activity)));
        }

        if (state == PresenceState.Offline)
        {
            // The seed's PATCH sign-off, as the one-process session treats it.
            return await ClearAsync(cancellationToken);
        }

        if (_engine.Closing)
        {
            return await RecordWhileMovingAsync(state);
        }

        var version = await RecordAsync(state);
        var local = Local();
        using var bounded = Bounded(cancellationToken);
        try
        {
            await local.SetAsync(state, bounded.Token);
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Snapshot(NotAnsweredFailure());
        }
        catch (Exception ex) when (ex is PresenceRequestException or OperationCanceledException or ObjectDisposedException)
        {
            return Snapshot(Failure(ex));
        }

        await NoteAcceptedCoreAsync(version);
        return Snapshot();
    }

    public async Task<SessionSnapshot> EnsureAsync(string availability, string activity)
    {
        if (Refuse(out var refused))
        {
            return refused;
        }

        if (Validate(availability, activity) is not { } state || state == PresenceState.Offline)
        {
            return Snapshot(WireMapping.ToWire(InvalidState(availability, activity)));
        }

        if (Record.Desire != SessionDesire.None || _engine.Closing)
        {
            // The cluster keeps a state for the user, or it was signed off: the application's word stands over the configuration.
            return Snapshot();
        }

        await RecordAsync(state);
        var send = Local().SetAsync(state);
        _ = send.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return Snapshot();
    }

    public Task<SessionSnapshot> ClearAsync(CancellationToken cancellationToken = default) => ClearCoreAsync(forceSend: false, cancellationToken);

    public Task<SessionSnapshot> SignOffAsync(CancellationToken cancellationToken = default) => ClearCoreAsync(forceSend: true, cancellationToken);

    /// <summary>
    /// Records the sign-off (with "pending" when something may be on the service), sends it, and records its confirmation.
    /// A pending sign-off keeps the session in its bucket, so that a holder that takes it over sends it.
    /// </summary>
    /// <param name="forceSend">Sends <c>clearPresence</c> even when this cluster set nothing (another process may have).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    private async Task<SessionSnapshot> ClearCoreAsync(bool forceSend, CancellationToken cancellationToken)
    {
        if (Refuse(out var refused))
        {
            return refused;
        }

        var mustSend = forceSend || Record.Desire == SessionDesire.Wanted || Record.ClearPending ||
            _local is { Status: not PresenceSessionStatus.NotStarted and not PresenceSessionStatus.Cleared };
        Record.Desire = SessionDesire.Cleared;
        Record.Version++;
        Record.AcceptedAt = null;
        Record.ClearPending = mustSend;
        if (mustSend && !Record.InBucket)
        {
            await Bucket().AddAsync(_userId);
            Record.InBucket = true;
        }

        var version = Record.Version;
        await _writer.SaveAsync();
        if (_engine.Closing)
        {
            return Snapshot(MovingFailure());
        }

        if (!mustSend)
        {
            // Nothing of this session is on the service (never set, or signed off already): signing off is a no-op.
            await LeaveBucketAsync(version);
            DeactivateIfIdle();
            return Snapshot();
        }

        using var bounded = Bounded(cancellationToken);
        try
        {
            if (_local is { Status: not PresenceSessionStatus.NotStarted and not PresenceSessionStatus.Cleared } kept)
            {
                await kept.ClearAsync(bounded.Token);
            }
            else
            {
                // Not kept here (set by a holder that is gone, or by another process): sign off what the service has.
                await _pool!.SignOffAsync(_userId, bounded.Token);
            }
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Snapshot(NotAnsweredFailure());
        }
        catch (Exception ex) when (ex is PresenceRequestException or OperationCanceledException or ObjectDisposedException)
        {
            return Snapshot(Failure(ex));
        }

        if (Record.Version == version)
        {
            Record.ClearPending = false;
            await _writer.SaveAsync();
            await LeaveBucketAsync(version);
            DeactivateIfIdle();
        }

        return Snapshot();
    }

    public async Task<SessionSnapshot> EndAsync(bool signOff, CancellationToken cancellationToken = default)
    {
        if (Refuse(out var refused))
        {
            return refused;
        }

        WireFailure? failure = null;
        if (signOff && (Record.Desire == SessionDesire.Wanted || Record.ClearPending || _local is { Status: not PresenceSessionStatus.Cleared and not PresenceSessionStatus.NotStarted }))
        {
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            giveUp.CancelAfter(TimeSpan.FromSeconds(30));
            var cleared = await ClearCoreAsync(forceSend: false, giveUp.Token);
            failure = cleared.Failure;
            if (failure is { Kind: WireFailureKind.Moving })
            {
                return cleared;
            }
        }

        if (failure is not null)
        {
            // Best effort, as in one process: the lease ends the session on the service.
            Log.SignOffOnEndFailed(_logger, _registration, _userId, failure.Message);
        }

        // A tombstone, not a cleared record: the version goes on, so that other processes' views of the session keep
        // taking its answers.
        Record.Desire = SessionDesire.None;
        var version = ++Record.Version;
        Record.AcceptedAt = null;
        Record.ClearPending = false;
        Record.Availability = null;
        Record.Activity = null;
        await _writer.SaveAsync();
        await LeaveBucketAsync(version);
        ReleaseLocal();
        DeactivateOnIdle();
        return new SessionSnapshot { Status = (int)PresenceSessionStatus.Disposed, Silo = _engine.SiloName, Version = version };
    }

    public Task<SessionSnapshot> GetAsync()
    {
        if (Refuse(out var refused))
        {
            return Task.FromResult(refused);
        }

        DeactivateIfIdle();
        return Task.FromResult(Snapshot());
    }

    public Task<SiloAddress> WakeAsync()
    {
        if (_engine.Closing)
        {
            // Activated on a silo that is leaving: make room for the next holder.
            DeactivateOnIdle();
        }

        return Task.FromResult(_engine.SiloAddress);
    }

    public Task NoteAcceptedAsync() => NoteAcceptedCoreAsync(Record.Version);

    public async Task<SessionSnapshot> OneShotAsync(OneShotRequest request, CancellationToken cancellationToken = default)
    {
        if (Refuse(out var refused))
        {
            return refused;
        }

        if (_engine.Closing)
        {
            return Snapshot(MovingFailure());
        }

        try
        {
            var local = Local();
            switch (request.Kind)
            {
                case OneShotKind.SetPreferredPresence:
                    await local.SetPreferredPresenceAsync(PreferredPresence.Parse(request.Availability ?? string.Empty, request.Activity ?? string.Empty), request.Expiration, cancellationToken);
                    break;
                case OneShotKind.ClearPreferredPresence:
                    await local.ClearPreferredPresenceAsync(cancellationToken);
                    break;
                case OneShotKind.SetStatusMessage:
                    await local.SetStatusMessageAsync(new PresenceStatusMessage(request.Text ?? string.Empty, request.ExpiresAt), cancellationToken);
                    break;
                default:
                    await local.ClearStatusMessageAsync(cancellationToken);
                    break;
            }
        }
        catch (Exception ex) when (ex is PresenceRequestException or ArgumentException or OperationCanceledException or ObjectDisposedException)
        {
            return Snapshot(Failure(ex));
        }

        DeactivateIfIdle();
        return Snapshot();
    }

    private bool Refuse(out SessionSnapshot refused)
    {
        if (_pool is null)
        {
            refused = new SessionSnapshot
            {
                Failure = new WireFailure { Kind = WireFailureKind.Argument, Message = _poolError ?? $"No presence registration is named '{_registration}' on silo {_engine.SiloName}.", ParamName = "registration" },
                Silo = _engine.SiloName,
            };
            return true;
        }

        refused = null!;
        return false;
    }

    /// <summary>Returns the state, or <see langword="null"/> when the pair is not one the registration's protocol can set (the seed's PATCH sign-off, Offline, passes).</summary>
    private PresenceState? Validate(string availability, string activity)
    {
        var protocol = _pool!.Context.Options.Protocol;
        return PresenceState.TryParse(availability, activity, out var state) && (state.IsSupportedBy(protocol) || (protocol == PresenceProtocol.Patch && state == PresenceState.Offline))
            ? state
            : null;
    }

    /// <summary>The error the one-process session gives for a state its protocol cannot set.</summary>
    private ArgumentException InvalidState(string availability, string activity)
    {
        var protocol = _pool!.Context.Options.Protocol;
        var shown = PresenceState.TryParse(availability, activity, out var state) ? state.ToString() : $"{availability}/{activity}";
        return new ArgumentException(
            $"{shown} cannot be set with the {protocol} protocol. Allowed: {PresenceState.Describe(PresenceState.ValuesFor(protocol))}." +
            (state == PresenceState.Offline ? " To sign off, call ClearAsync." : string.Empty),
            "state");
    }

    private bool Is(PresenceState state) =>
        string.Equals(Record.Availability, state.Availability, StringComparison.Ordinal) && string.Equals(Record.Activity, state.Activity, StringComparison.Ordinal);

    /// <summary>Records <paramref name="state"/> as the desire (the bucket lists the session first) and writes it before anything is sent.</summary>
    private async Task<long> RecordAsync(PresenceState state)
    {
        if (!Record.InBucket)
        {
            await Bucket().AddAsync(_userId);
            Record.InBucket = true;
        }

        Record.Desire = SessionDesire.Wanted;
        Record.Availability = state.Availability;
        Record.Activity = state.Activity;
        Record.Version++;
        Record.AcceptedAt = null;
        var version = Record.Version;
        await _writer.SaveAsync();
        return version;
    }

    private async Task<SessionSnapshot> RecordWhileMovingAsync(PresenceState state)
    {
        await RecordAsync(state);
        return Snapshot(MovingFailure());
    }

    private async Task LeaveBucketAsync(long version)
    {
        if (Record.InBucket && Record.Version == version && Record.Desire != SessionDesire.Wanted && !Record.ClearPending)
        {
            await Bucket().RemoveAsync(_userId);
            if (Record.Version == version)
            {
                Record.InBucket = false;
                await _writer.SaveAsync();
            }
            else if (Record.Desire == SessionDesire.Wanted || Record.ClearPending)
            {
                // A newer desire came in while the bucket removed the session (it saw InBucket and did not add it): put it back.
                await Bucket().AddAsync(_userId);
            }
        }
    }

    /// <summary>Lets an activation that keeps nothing go: a session grain is exempt from idle collection only while it wants a state kept.</summary>
    private void DeactivateIfIdle()
    {
        if (Record.Desire != SessionDesire.Wanted && !Record.ClearPending)
        {
            ReleaseLocal();
            DeactivateOnIdle();
        }
    }

    /// <summary>A token that also ends after <see cref="GrainWait"/>, within the callers' two-minute response timeout.</summary>
    private static CancellationTokenSource Bounded(CancellationToken cancellationToken)
    {
        var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(GrainWait);
        return bounded;
    }

    private WireFailure NotAnsweredFailure() => new()
    {
        Kind = WireFailureKind.Request,
        Message = $"The presence request for '{_userId}' was not answered within {GrainWait.TotalSeconds:0} s (the budget or the service is holding it); the desired state is recorded and the session keeps trying.",
        IsTransient = true,
    };

    private async Task NoteAcceptedCoreAsync(long version)
    {
        if (Record.Version == version && Record.Desire == SessionDesire.Wanted && Record.AcceptedAt is null &&
            _local is { Status: PresenceSessionStatus.Active, LastConfirmedAt: { } confirmed, DesiredState: { } kept } && Is(kept))
        {
            Record.AcceptedAt = confirmed;
            await _writer.SaveAsync();
        }
    }

    /// <summary>Takes the recorded state over on activation: the previous holder stopped, or the cluster restarted.</summary>
    private void TakeOver()
    {
        if (!PresenceState.TryParse(Record.Availability, Record.Activity, out var state))
        {
            Log.UnreadableRecord(_logger, _registration, _userId, Record.Availability, Record.Activity);
            return;
        }

        try
        {
            _local = _pool!.Adopt(_userId, state, Record.AcceptedAt, _engine.Options.FailoverAllowance);
            Watch(_local);
            _engine.Diagnostics.Raise(ClusterEventKind.SessionTakenOver, _engine.SiloName, detail: this.GetPrimaryKeyString());
        }
        catch (ObjectDisposedException)
        {
            // The engine is stopping: the next holder takes it over.
        }
    }

    private IPresenceSession Local()
    {
        if (_local is null)
        {
            _local = _pool!.GetOrCreate(_userId);
            Watch(_local);
        }

        return _local;
    }

    private void Watch(IPresenceSession local)
    {
        var self = this.AsReference<IPresenceSessionGrain>();
        local.StatusChanged += (_, e) =>
        {
            if (e.Status == PresenceSessionStatus.Active)
            {
                // On an engine thread, where the grain's state must not be touched: it records it in a turn of its own.
                _ = self.NoteAcceptedAsync();
            }
        };
    }

    private void ReleaseLocal()
    {
        if (_local is not null)
        {
            _pool?.Release(_userId);
            _local = null;
        }
    }

    private IPresenceBucketGrain Bucket() =>
        GrainFactory.GetGrain<IPresenceBucketGrain>(SessionKeys.Bucket(_registration, SessionKeys.BucketOf(_userId, _engine.Options.BucketCount)));

    private WireFailure Failure(Exception ex) =>
        ex is ObjectDisposedException && _engine.Closing ? MovingFailure() : WireMapping.ToWire(ex);

    private WireFailure MovingFailure() => new()
    {
        Kind = WireFailureKind.Moving,
        Message = $"The silo that held the presence session of '{_userId}' is stopping; the desired state is recorded and the silo that takes the session over sends it.",
        IsTransient = true,
    };

    // A leaving silo's engine session is released: its status (Disposed) is not the session's; the record is.
    private SessionSnapshot Snapshot(WireFailure? failure = null) => WireMapping.Snapshot(_engine.Closing ? null : _local, Record, _engine.SiloName, failure);

    private static partial class Log
    {
        [LoggerMessage(320, LogLevel.Warning, "Signing off the presence session of {UserId} in registration '{Registration}' as it ended failed ({Message}); its lease ends it on the service.")]
        public static partial void SignOffOnEndFailed(ILogger logger, string registration, string userId, string message);

        [LoggerMessage(321, LogLevel.Error, "The stored presence session of {UserId} in registration '{Registration}' holds {Availability}/{Activity}, which is not a presence state: it is not taken over.")]
        public static partial void UnreadableRecord(ILogger logger, string registration, string userId, string? availability, string? activity);
    }
}
