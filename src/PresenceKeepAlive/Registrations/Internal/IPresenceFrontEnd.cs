namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>
/// What the application's managers are when the engine is not theirs alone (distributed mode: each session lives in a
/// cluster and is kept by whichever process holds it). When one is registered, <see cref="IPresenceSessionManagerProvider"/>
/// and the keyed <see cref="IPresenceSessionManager"/> of each named registration resolve to it instead of this process's
/// pools, and the registrations' hosted service neither sets the configured sessions nor signs anyone off: the front end
/// does both its own way. The pools stay, as the engine the front end drives.
/// </summary>
internal interface IPresenceFrontEnd : IPresenceSessionManagerProvider
{
}
