using Orleans.Concurrency;
using Orleans.Runtime;

namespace PresenceKeepAlive.Orleans.Grains;

/// <summary>
/// One user's presence session of one registration, keyed "{registration}/{user id}". It keeps the desired state in grain
/// storage (written before the call returns, so it survives the silo) and hands it to the engine of the silo that holds it.
/// Every method validates first and answers with a snapshot; failures come back in <see cref="SessionSnapshot.Failure"/>.
/// </summary>
[Alias("pka.IPresenceSessionGrain")]
internal interface IPresenceSessionGrain : IGrainWithStringKey
{
    /// <summary>Records the state and waits until the service accepted it (or the first send failed).</summary>
    [Alias("Set")]
    [ResponseTimeout("00:02:00")]
    Task<SessionSnapshot> SetAsync(string availability, string activity, CancellationToken cancellationToken = default);

    /// <summary>Sets the state when the session wants nothing (never set, or disposed): configured sessions, set by every silo on start. Does not wait for the service.</summary>
    [Alias("Ensure")]
    Task<SessionSnapshot> EnsureAsync(string availability, string activity);

    /// <summary>Records the sign-off and waits for it.</summary>
    [Alias("Clear")]
    [ResponseTimeout("00:02:00")]
    Task<SessionSnapshot> ClearAsync(CancellationToken cancellationToken = default);

    /// <summary>Signs the user off even when the session never set a state (a session a stopped process left behind).</summary>
    [Alias("SignOff")]
    [ResponseTimeout("00:02:00")]
    Task<SessionSnapshot> SignOffAsync(CancellationToken cancellationToken = default);

    /// <summary>Ends the session: signs off first when asked, then forgets it (storage and bucket).</summary>
    [Alias("End")]
    [ResponseTimeout("00:02:00")]
    Task<SessionSnapshot> EndAsync(bool signOff, CancellationToken cancellationToken = default);

    /// <summary>Returns the session's snapshot.</summary>
    [Alias("Get")]
    Task<SessionSnapshot> GetAsync();

    /// <summary>Makes sure the session is active somewhere (activating it takes over its state); returns the silo that holds it.</summary>
    [Alias("Wake")]
    Task<SiloAddress> WakeAsync();

    /// <summary>Records when the service accepted the current desire, if the holder's engine now keeps it (it says so after a retry or a take-over).</summary>
    [Alias("NoteAccepted")]
    [OneWay]
    Task NoteAcceptedAsync();

    /// <summary>Sends a user-level one-shot request through the holder's engine.</summary>
    [Alias("OneShot")]
    [ResponseTimeout("00:02:00")]
    Task<SessionSnapshot> OneShotAsync(OneShotRequest request, CancellationToken cancellationToken = default);
}

/// <summary>
/// A bounded set of a registration's sessions, keyed "{registration}/{index}", with one reminder: after a whole cluster
/// restarted (or a membership change was missed) its reminder wakes its sessions, which then take over their states.
/// </summary>
[Alias("pka.IPresenceBucketGrain")]
internal interface IPresenceBucketGrain : IGrainWithStringKey
{
    [Alias("Add")]
    Task AddAsync(string userId);

    [Alias("Remove")]
    Task RemoveAsync(string userId);

    /// <summary>Wakes every session of the bucket; returns how many it holds.</summary>
    [Alias("Wake")]
    Task<int> WakeAsync();
}

/// <summary>Manager-level work of a registration that needs a silo's engine (reads through its budget share). One per silo, stateless.</summary>
[Alias("pka.IPresenceRegistrationGrain")]
internal interface IPresenceRegistrationGrain : IGrainWithStringKey
{
    [Alias("GetPresences")]
    [ResponseTimeout("00:02:00")]
    Task<WireReadings> GetPresencesAsync(List<string> userIds, CancellationToken cancellationToken = default);
}
