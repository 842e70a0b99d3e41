using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.DependencyInjection.Internal;

/// <summary>Checks <see cref="PresenceKeepAliveOptions.Apps"/>: valid and distinct client ids, and a credential for each app off loopback.</summary>
internal static class PoolValidation
{
    /// <remarks>The validator puts the registration's name in front of each message.</remarks>
    public static void Validate(PresenceKeepAliveOptions options, bool named, bool loopback, bool registeredCredential, List<string> failures)
    {
        if (options.Apps.Count == 0)
        {
            return;
        }

        if (!named)
        {
            failures.Add(
                $"Apps lists {options.Apps.Count} app registrations, but a pool needs a named registration: " +
                "use AddPresenceSession(\"name\", section) or AddPresenceRegistrations(section), or set ClientId alone for one app.");
            return;
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Apps.Count; i++)
        {
            var app = options.Apps[i];
            if (app is null)
            {
                failures.Add($"Apps[{i}] is empty.");
                continue;
            }

            if (string.IsNullOrWhiteSpace(app.ClientId))
            {
                failures.Add($"Apps[{i}].ClientId is required: the app registration's application (client) id, which is also its presence sessionId.");
                continue;
            }

            if (Guid.TryParse(app.ClientId, out var id) && id == Guid.Empty)
            {
                failures.Add($"Apps[{i}].ClientId '{app.ClientId}' is the empty GUID, a placeholder: put the app registration's Application (client) ID there.");
            }
            else if (PresenceRequestValidator.DescribeInvalidClientId(app.ClientId) is { } problem)
            {
                failures.Add($"Apps[{i}]: {problem}");
            }
            else if (!seen.Add(app.ClientId))
            {
                failures.Add($"Apps[{i}].ClientId '{app.ClientId}' appears more than once: each app of a pool is a different app registration.");
            }

            var useCredential = !loopback || options.UseConfiguredCredentialOnLoopback;
            var developmentToken = !useCredential && options.Credential is null;
            var ownIdentity = CredentialSettings.HasOwnCredential(app) || CredentialSettings.UsesRegistrationIdentity(options, app);
            if (!ownIdentity && !developmentToken &&
                DescribeSharedIdentity(options, useCredential, registeredCredential) is { } shared)
            {
                // Another app's identity: the pool would be one Graph app with one budget, split into several gates
                // that together send several times what it allows (429s).
                failures.Add(
                    $"Apps[{i}] ('{app.ClientId}') has no credential of its own, and the registration's {shared} " +
                    $"is the identity of ClientId '{options.ClientId ?? "(not set)"}', not of this app: apps sharing one identity are one Graph app with one rate budget, " +
                    "and a pool would send several times what it allows. Set Apps[" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "].ClientSecret, CertificatePath, CertificateThumbprint or Credential " +
                    "(each app registration has its own); only the app whose ClientId is the registration's ClientId uses the registration's credential, " +
                    "and against a loopback BaseUrl (the emulator) each app gets a development token of its own.");
                continue;
            }

            if (useCredential && !CredentialSettings.HasOwnCredential(app) && options.Credential is null && !options.UseManagedIdentity && !registeredCredential &&
                !(CredentialSettings.UsesRegistrationIdentity(options, app) && PresenceCredentialFactory.HasConfiguredCredential(options)))
            {
                failures.Add(
                    $"Apps[{i}] ('{app.ClientId}') has no credential for BaseUrl '{options.BaseUrl}': set its ClientSecret, CertificatePath or " +
                    "CertificateThumbprint (each app registration has its own), or set Credential. Only a loopback BaseUrl works without one.");
            }

            if (useCredential && (!string.IsNullOrEmpty(app.ClientSecret) || !string.IsNullOrEmpty(app.CertificatePath) || !string.IsNullOrEmpty(app.CertificateThumbprint)) &&
                string.IsNullOrWhiteSpace(options.TenantId))
            {
                failures.Add($"Apps[{i}] ('{app.ClientId}') needs the registration's TenantId with a secret or certificate: every app of a pool gets its tokens in that tenant.");
            }

            if (!string.IsNullOrEmpty(app.CertificatePath) && !File.Exists(app.CertificatePath))
            {
                failures.Add($"Apps[{i}].CertificatePath '{app.CertificatePath}' does not exist.");
            }
        }
    }

    /// <summary>Describes the credential every app without its own would get, or <see langword="null"/> when there is none.</summary>
    private static string? DescribeSharedIdentity(PresenceKeepAliveOptions options, bool useCredential, bool registeredCredential)
    {
        if (options.Credential is not null)
        {
            return "Credential (set in code)";
        }

        if (!useCredential)
        {
            return null;
        }

        if (options.UseManagedIdentity)
        {
            return "managed identity";
        }

        return registeredCredential ? "TokenCredential registered in the service collection" : null;
    }
}
