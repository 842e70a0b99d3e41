using Azure.Core;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>The settings one credential is made from: a registration's, or one app of its pool over the registration's.</summary>
internal sealed record CredentialSettings(
    string? TenantId,
    string? ClientId,
    string? ClientSecret,
    string? CertificatePath,
    string? CertificatePassword,
    string? CertificateThumbprint,
    bool UseManagedIdentity,
    string? ManagedIdentityClientId,
    TokenCredential? Credential,
    string BaseUrl,
    bool UseConfiguredCredentialOnLoopback)
{
    public static CredentialSettings From(PresenceKeepAliveOptions options) => new(
        options.TenantId,
        options.ClientId,
        options.ClientSecret,
        options.CertificatePath,
        options.CertificatePassword,
        options.CertificateThumbprint,
        options.UseManagedIdentity,
        options.ManagedIdentityClientId,
        options.Credential,
        options.BaseUrl,
        options.UseConfiguredCredentialOnLoopback);

    /// <summary>
    /// The settings of <paramref name="app"/>: its own client id, and its own credential when it has one. An app with no
    /// credential setting of its own and another client id than the registration's gets none of the registration's
    /// credentials (secrets, certificate, shared credential, managed identity: they are another app's identity, and
    /// sharing one would make the pool one Graph app with several budgets): only a development token on loopback.
    /// Validation refuses such an app anywhere else (see PoolValidation).
    /// </summary>
    public static CredentialSettings From(PresenceKeepAliveOptions options, PresenceAppRegistration? app)
    {
        var registration = From(options);
        if (app is null || UsesRegistrationIdentity(options, app) && !HasOwnCredential(app))
        {
            return app is null ? registration : registration with { ClientId = app.ClientId };
        }

        return HasOwnCredential(app)
            ? registration with
            {
                ClientId = app.ClientId,
                ClientSecret = app.ClientSecret,
                CertificatePath = app.CertificatePath,
                CertificatePassword = app.CertificatePassword,
                CertificateThumbprint = app.CertificateThumbprint,
                UseManagedIdentity = false,
                Credential = app.Credential,
            }
            : registration with
            {
                ClientId = app.ClientId,
                ClientSecret = null,
                CertificatePath = null,
                CertificatePassword = null,
                CertificateThumbprint = null,
                UseManagedIdentity = false,
                ManagedIdentityClientId = null,
                Credential = null,
            };
    }

    /// <summary>
    /// Returns whether <paramref name="app"/> is the app the registration's own credential belongs to: its client id is
    /// the registration's ClientId (or, with a user-assigned managed identity, that identity's client id).
    /// </summary>
    public static bool UsesRegistrationIdentity(PresenceKeepAliveOptions options, PresenceAppRegistration? app) =>
        app is null ||
        string.Equals(app.ClientId, options.ClientId, StringComparison.OrdinalIgnoreCase) ||
        (options.UseManagedIdentity && !string.IsNullOrEmpty(options.ManagedIdentityClientId) &&
         string.Equals(app.ClientId, options.ManagedIdentityClientId, StringComparison.OrdinalIgnoreCase));

    public static bool HasOwnCredential(PresenceAppRegistration app) =>
        app.Credential is not null ||
        !string.IsNullOrEmpty(app.ClientSecret) ||
        !string.IsNullOrEmpty(app.CertificatePath) ||
        !string.IsNullOrEmpty(app.CertificateThumbprint);
}
