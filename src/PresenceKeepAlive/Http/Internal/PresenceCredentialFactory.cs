using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Identity;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>Chooses the <see cref="TokenCredential"/> the options describe.</summary>
internal static class PresenceCredentialFactory
{
    /// <summary>
    /// Creates the credential, in this order: an explicit credential; a development token for a loopback base URL (unless
    /// <see cref="PresenceKeepAliveOptions.UseConfiguredCredentialOnLoopback"/>); a client secret, a certificate, a managed
    /// identity, one registered in DI; a development token for a loopback base URL.
    /// </summary>
    /// <exception cref="InvalidOperationException">No credential is configured for a non-loopback base URL.</exception>
    public static TokenCredential Create(PresenceKeepAliveOptions options, TokenCredential? registered, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Create(CredentialSettings.From(options), registered, timeProvider, scopeToTenant: false);
    }

    /// <summary>
    /// Creates the credential of one app of a named registration: the app's own settings when it has any (a pool), else
    /// the registration's. A shared credential (set in code or registered in DI) is asked for tokens in the registration's
    /// tenant (<see cref="TokenRequestContext.TenantId"/>; Azure.Identity credentials need that tenant, or <c>*</c>, in
    /// <c>AdditionallyAllowedTenants</c>), so one multi-tenant app's credential serves every tenant with a token of its own.
    /// </summary>
    /// <exception cref="InvalidOperationException">No credential is configured for a non-loopback base URL.</exception>
    public static TokenCredential CreateFor(PresenceKeepAliveOptions options, PresenceAppRegistration? app, TokenCredential? registered, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Create(CredentialSettings.From(options, app), registered, timeProvider, scopeToTenant: true);
    }

    private static TokenCredential Create(CredentialSettings options, TokenCredential? registered, TimeProvider timeProvider, bool scopeToTenant)
    {
        if (options.Credential is not null)
        {
            return scopeToTenant ? TenantScopedCredential.Wrap(options.Credential, options.TenantId) : options.Credential;
        }

        // A local emulator needs no secret and must never receive one: pointing BaseUrl at it is enough.
        if (!options.UseConfiguredCredentialOnLoopback && IsLoopback(options.BaseUrl))
        {
            return new DevelopmentTokenCredential(options.ClientId ?? Guid.Empty.ToString(), timeProvider, options.TenantId);
        }

        if (!string.IsNullOrEmpty(options.ClientSecret))
        {
            return new ClientSecretCredential(options.TenantId, options.ClientId, options.ClientSecret);
        }

        if (!string.IsNullOrEmpty(options.CertificatePath))
        {
            if (string.IsNullOrEmpty(options.CertificatePassword))
            {
                return new ClientCertificateCredential(options.TenantId, options.ClientId, options.CertificatePath);
            }

#if NET9_0_OR_GREATER
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
#else
            var certificate = new X509Certificate2(options.CertificatePath, options.CertificatePassword);
#endif
            return new ClientCertificateCredential(options.TenantId, options.ClientId, certificate);
        }

        if (!string.IsNullOrEmpty(options.CertificateThumbprint))
        {
            return new ClientCertificateCredential(options.TenantId, options.ClientId, FindCertificate(options.CertificateThumbprint));
        }

        if (options.UseManagedIdentity)
        {
            return new ManagedIdentityCredential(string.IsNullOrEmpty(options.ManagedIdentityClientId)
                ? ManagedIdentityId.SystemAssigned
                : ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId));
        }

        if (registered is not null)
        {
            return scopeToTenant ? TenantScopedCredential.Wrap(registered, options.TenantId) : registered;
        }

        if (IsLoopback(options.BaseUrl))
        {
            return new DevelopmentTokenCredential(options.ClientId ?? Guid.Empty.ToString(), timeProvider, options.TenantId);
        }

        throw new InvalidOperationException(
            "No credential is configured for PresenceKeepAlive: set ClientSecret, CertificatePath or CertificateThumbprint " +
            "(with TenantId and ClientId), set UseManagedIdentity, set Credential, or register a TokenCredential in the service collection.");
    }

    /// <summary>Returns whether any credential setting is present (ignoring one registered in DI).</summary>
    public static bool HasConfiguredCredential(PresenceKeepAliveOptions options) =>
        options.Credential is not null ||
        !string.IsNullOrEmpty(options.ClientSecret) ||
        !string.IsNullOrEmpty(options.CertificatePath) ||
        !string.IsNullOrEmpty(options.CertificateThumbprint) ||
        options.UseManagedIdentity;

    /// <summary>Returns whether <paramref name="baseUrl"/> is an absolute URL on a loopback host.</summary>
    public static bool IsLoopback(string? baseUrl) =>
        Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) && IsLoopback(uri);

    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));

    /// <summary>Returns the token scope for <paramref name="baseUrl"/>: its origin plus <c>/.default</c>.</summary>
    public static string ScopeFor(Uri baseUrl) => baseUrl.GetLeftPart(UriPartial.Authority) + "/.default";

    private static X509Certificate2 FindCertificate(string thumbprint)
    {
        foreach (var location in new[] { StoreLocation.CurrentUser, StoreLocation.LocalMachine })
        {
            using var store = new X509Store(StoreName.My, location);
            try
            {
                store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            }
            catch (CryptographicException)
            {
                // The store does not exist on this machine (common for LocalMachine on Linux).
                continue;
            }

            var found = store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint, validOnly: false);
            if (found.Count > 0)
            {
                return found[0];
            }
        }

        throw new InvalidOperationException(
            $"CertificateThumbprint {thumbprint} was not found in the CurrentUser or LocalMachine personal (My) certificate store.");
    }
}
