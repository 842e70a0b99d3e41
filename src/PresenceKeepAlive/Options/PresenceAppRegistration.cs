using Azure.Core;

namespace PresenceKeepAlive;

/// <summary>
/// One app registration of a pool (<see cref="PresenceKeepAliveOptions.Apps"/>): its client id and how to get its tokens.
/// Every app gets its tokens in the registration's <see cref="PresenceKeepAliveOptions.TenantId"/>. Each app needs a
/// credential of its own (a secret, a certificate or <see cref="Credential"/>), except against a loopback emulator, where a
/// development token names the app and the tenant.
/// </summary>
public sealed class PresenceAppRegistration
{
    /// <summary>Gets or sets the application (client) id, which is also the <c>sessionId</c> this app's requests carry.</summary>
    /// <value>The default value is <see langword="null"/>. Required.</value>
    public string? ClientId { get; set; }

    /// <summary>Gets or sets the client secret of this app registration. Never logged.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ClientSecret { get; set; }

    /// <summary>Gets or sets the path of this app's certificate file (PFX/PKCS#12 or PEM with its key).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? CertificatePath { get; set; }

    /// <summary>Gets or sets the password of <see cref="CertificatePath"/>, if it has one. Never logged.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? CertificatePassword { get; set; }

    /// <summary>Gets or sets the thumbprint of this app's certificate in the current user's or local machine's personal store.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? CertificateThumbprint { get; set; }

    /// <summary>Gets or sets a credential for this app, instead of the settings above.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public TokenCredential? Credential { get; set; }
}
