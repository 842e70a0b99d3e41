using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.DependencyInjection.Internal;

/// <summary>Checks <see cref="PresenceKeepAliveOptions.Apps"/>: valid and distinct client ids, and a credential for each app off loopback.</summary>
internal static class PoolValidation
{
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
            if (useCredential && !CredentialSettings.HasOwnCredential(app) && options.Credential is null && !options.UseManagedIdentity && !registeredCredential &&
                !(string.Equals(app.ClientId, options.ClientId, StringComparison.OrdinalIgnoreCase) && PresenceCredentialFactory.HasConfiguredCredential(options)))
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
}
