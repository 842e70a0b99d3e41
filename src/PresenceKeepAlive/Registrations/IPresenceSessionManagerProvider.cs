namespace PresenceKeepAlive;

/// <summary>
/// Gives the <see cref="IPresenceSessionManager"/> of each registration by name: the names passed to
/// <c>AddPresenceSession(name, …)</c> or listed under <c>Tenants</c> for <c>AddPresenceRegistrations</c>, and
/// <see cref="Microsoft.Extensions.Options.Options.DefaultName"/> (the empty string) for the unnamed <c>AddPresenceSession(…)</c>.
/// Registered as a singleton; each named manager is also a keyed service (<c>[FromKeyedServices("contoso")] IPresenceSessionManager</c>).
/// </summary>
public interface IPresenceSessionManagerProvider
{
    /// <summary>Gets the names of the registrations, the unnamed one (the empty string) included when it is registered.</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>
    /// Returns the manager of the registration <paramref name="name"/>, creating it on first use. A named registration's
    /// manager is an <see cref="IPresenceAppPool"/> (one app, or several for one tenant).
    /// </summary>
    /// <param name="name">The registration's name; the empty string for the unnamed registration.</param>
    /// <returns>The manager, shared by every caller.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="KeyNotFoundException">No registration has that name; the message lists the names there are.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The registration's options are not valid.</exception>
    IPresenceSessionManager GetManager(string name);
}
