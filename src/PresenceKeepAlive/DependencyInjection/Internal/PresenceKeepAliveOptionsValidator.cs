using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.DependencyInjection.Internal;

/// <summary>Checks <see cref="PresenceKeepAliveOptions"/> at start-up; each message names the setting, its value and the rule.</summary>
internal sealed class PresenceKeepAliveOptionsValidator : IValidateOptions<PresenceKeepAliveOptions>
{
    private static readonly TimeSpan PollyMinTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan PollyMaxTimeout = TimeSpan.FromHours(24);

    private readonly IServiceProvider? _services;

    public PresenceKeepAliveOptionsValidator(IServiceProvider? services = null) => _services = services;

    public ValidateOptionsResult Validate(string? name, PresenceKeepAliveOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var named = !string.IsNullOrEmpty(name);

        if (string.IsNullOrWhiteSpace(options.ClientId) && named && options.Apps.Count > 0)
        {
            // A pool's apps carry the client ids.
        }
        else if (string.IsNullOrWhiteSpace(options.ClientId))
        {
            failures.Add(!named && DescribeMissingSection() is { } missing
                ? missing
                : "ClientId is required: the app registration's application (client) id, which is also the presence sessionId.");
        }
        else if (Guid.TryParse(options.ClientId, out var clientId) && clientId == Guid.Empty)
        {
            failures.Add(
                $"ClientId '{options.ClientId}' is the empty GUID, a placeholder: put the app registration's Application (client) ID there " +
                "(Microsoft Entra admin center, App registrations, your app, Overview). Against the local emulator any other GUID works.");
        }
        else if (PresenceRequestValidator.DescribeInvalidClientId(options.ClientId) is { } clientProblem)
        {
            failures.Add(clientProblem);
        }

        var baseUrlProblem = PresenceHttpClient.DescribeInvalidBaseUrl(options.BaseUrl) ?? DescribeMissingVersion(options.BaseUrl);
        if (baseUrlProblem is not null)
        {
            failures.Add(baseUrlProblem);
        }

        var loopback = baseUrlProblem is null && PresenceCredentialFactory.IsLoopback(options.BaseUrl);
        if (!loopback || options.UseConfiguredCredentialOnLoopback || options.Credential is not null)
        {
            // On loopback the configured credential settings are not used (a development token is), so nothing to check.
            // A pool's apps carry their own credentials (checked with the apps).
            ValidateCredential(options, loopback || (named && options.Apps.Count > 0), failures);
        }

        if (!Enum.IsDefined(options.Protocol))
        {
            failures.Add($"Protocol '{options.Protocol}' is not supported: use SetPresence (Graph v1.0, the default) or Patch (the beta draft's PATCH).");
        }

        if (options.SessionTimeout <= TimeSpan.Zero)
        {
            failures.Add($"SessionTimeout {options.SessionTimeout:c} must be positive (Graph's is 00:05:00).");
        }

        if (options.RefreshInterval is { } interval)
        {
            if (interval <= TimeSpan.Zero)
            {
                failures.Add($"RefreshInterval {interval:c} must be positive, or left unset to refresh each session RefreshMargin before its deadline.");
            }
            else if (interval >= options.SessionTimeout)
            {
                failures.Add($"RefreshInterval {interval:c} must be shorter than SessionTimeout {options.SessionTimeout:c}, or the presence fades between refreshes.");
            }
        }

        if (options.RefreshMargin is { } margin && (margin <= TimeSpan.Zero || margin > options.SessionTimeout / 2))
        {
            failures.Add($"RefreshMargin {margin:c} must be positive and at most half of SessionTimeout {options.SessionTimeout:c}, or left unset (SessionTimeout / 12).");
        }

        if (options.MaxConcurrentRequests is < 1)
        {
            failures.Add($"MaxConcurrentRequests {options.MaxConcurrentRequests} must be at least 1, or left unset.");
        }

        if (PresenceRequestValidator.DescribeInvalidLease(options.Lease) is { } leaseProblem)
        {
            failures.Add(leaseProblem);
        }

        if (options.RateLimitPerWindow <= 0)
        {
            failures.Add($"RateLimitPerWindow {options.RateLimitPerWindow} must be positive (Graph allows 1500 presence requests per 30 s per app per tenant).");
        }

        if (options.RateLimitWindow <= TimeSpan.Zero)
        {
            failures.Add($"RateLimitWindow {options.RateLimitWindow:c} must be positive.");
        }

        if (options.GlobalRateLimitPerWindow <= 0)
        {
            failures.Add($"GlobalRateLimitPerWindow {options.GlobalRateLimitPerWindow} must be positive (Graph allows 130000 requests per 10 s per app across all tenants).");
        }

        if (options.GlobalRateLimitWindow <= TimeSpan.Zero)
        {
            failures.Add($"GlobalRateLimitWindow {options.GlobalRateLimitWindow:c} must be positive.");
        }

        PoolValidation.Validate(options, named, loopback, _services?.GetService<TokenCredential>() is not null, failures);

        if (options.MaxRetryAttempts is < 0 or > 100)
        {
            failures.Add($"MaxRetryAttempts {options.MaxRetryAttempts} must be from 0 to 100.");
        }

        if (options.RetryBaseDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay)
        {
            failures.Add($"RetryBaseDelay {options.RetryBaseDelay:c} must be positive and not longer than RetryMaxDelay {options.RetryMaxDelay:c}.");
        }

        if (options.AttemptTimeout < PollyMinTimeout || options.AttemptTimeout > PollyMaxTimeout)
        {
            failures.Add($"AttemptTimeout {options.AttemptTimeout:c} must be from 00:00:00.010 to 1.00:00:00.");
        }

        if (options.TotalRequestTimeout < options.AttemptTimeout || options.TotalRequestTimeout > PollyMaxTimeout)
        {
            failures.Add($"TotalRequestTimeout {options.TotalRequestTimeout:c} must be at least AttemptTimeout {options.AttemptTimeout:c} and at most 1.00:00:00.");
        }

        ValidateSessions(options, failures);

        // OptionsValidationException.Message joins the failures with "; ": sentences ending in '.' would read ".;".
        PresenceKeepAlive.Options.Internal.PresenceReadBackOptionsValidator.Validate(options.ReadBack, failures);

        // A named registration's messages say which registration they are about.
        var prefix = named ? $"Registration '{name}': " : string.Empty;
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures.Select(f => prefix + f.TrimEnd('.')));
    }

    /// <summary>Says that the bound configuration is missing or empty, when it is.</summary>
    private string? DescribeMissingSection()
    {
        if (_services?.GetService<PresenceKeepAliveMarker>() is not { Bound.Count: > 0 } marker ||
            marker.Bound.Any(c => c.GetChildren().Any()))
        {
            return null;
        }

        var names = string.Join(", ", marker.Bound.Select(c => c is IConfigurationSection section ? $"'{section.Path}'" : "(the root)"));
        var path = marker.Bound[0] is IConfigurationSection first ? first.Path : PresenceKeepAliveOptions.SectionName;
        return $"The configuration section {names} is missing or empty, so ClientId (required) and every other setting are unset. " +
               $"AddPresenceSession reads it from the IConfiguration it is given: put it in appsettings.json (\"{path}\": {{ \"ClientId\": ... }}), " +
               $"user secrets, environment variables ({path.Replace(":", "__", StringComparison.Ordinal)}__ClientId) or the command line (--{path}:ClientId=...).";
    }

    /// <summary>Says that <paramref name="baseUrl"/> lacks Graph's version segment, when it does.</summary>
    private static string? DescribeMissingVersion(string baseUrl)
    {
        var uri = new Uri(baseUrl);
        var last = uri.AbsolutePath.TrimEnd('/');
        last = last[(last.LastIndexOf('/') + 1)..];
        if (last.Equals("v1.0", StringComparison.OrdinalIgnoreCase) || last.Equals("beta", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var suggestion = uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/v1.0";
        return $"BaseUrl '{baseUrl}' does not end in a Graph version segment: use {suggestion} (or /beta). " +
               "Without it every request goes to a path Graph does not have, and every session fails as if the user did not exist.";
    }

    private void ValidateCredential(PresenceKeepAliveOptions options, bool loopback, List<string> failures)
    {
        var needsTenant = !string.IsNullOrEmpty(options.ClientSecret) ||
                          !string.IsNullOrEmpty(options.CertificatePath) ||
                          !string.IsNullOrEmpty(options.CertificateThumbprint);
        if (needsTenant && string.IsNullOrWhiteSpace(options.TenantId))
        {
            failures.Add("TenantId is required with ClientSecret, CertificatePath or CertificateThumbprint: the directory (tenant) id of the app registration.");
        }
        else if (!string.IsNullOrWhiteSpace(options.TenantId) && !IsTenantId(options.TenantId))
        {
            failures.Add($"TenantId '{options.TenantId}' is neither a GUID nor a domain name such as contoso.onmicrosoft.com.");
        }
        else if (needsTenant && Guid.TryParse(options.TenantId, out var tenantId) && tenantId == Guid.Empty)
        {
            failures.Add(
                $"TenantId '{options.TenantId}' is the empty GUID, a placeholder: put your Directory (tenant) ID there " +
                "(Microsoft Entra admin center, App registrations, your app, Overview), or a domain such as contoso.onmicrosoft.com.");
        }

        if (!string.IsNullOrEmpty(options.CertificatePath) && !File.Exists(options.CertificatePath))
        {
            failures.Add($"CertificatePath '{options.CertificatePath}' does not exist.");
        }

        if (!loopback &&
            !PresenceCredentialFactory.HasConfiguredCredential(options) &&
            _services?.GetService<TokenCredential>() is null)
        {
            failures.Add(
                $"No credential is configured for BaseUrl '{options.BaseUrl}': set ClientSecret, CertificatePath or CertificateThumbprint " +
                "(with TenantId), set UseManagedIdentity, set Credential, or register a TokenCredential. Only a loopback BaseUrl (the local emulator) works without one.");
        }
    }

    private static void ValidateSessions(PresenceKeepAliveOptions options, List<string> failures)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Sessions.Count; i++)
        {
            var session = options.Sessions[i];
            if (session is null)
            {
                failures.Add($"Sessions[{i}] is empty.");
                continue;
            }

            if (PresenceRequestValidator.DescribeInvalidUserId(session.UserId) is { } idProblem)
            {
                failures.Add($"Sessions[{i}].UserId: {idProblem}");
            }
            else if (!seen.Add(session.UserId))
            {
                failures.Add($"Sessions[{i}].UserId '{session.UserId}' appears more than once: a user has one app session.");
            }

            if (!PresenceState.TryParse(session.Availability, session.Activity, out var state) || !state.IsSupportedBy(options.Protocol))
            {
                failures.Add(
                    $"Sessions[{i}] ('{session.UserId}'): '{session.Availability}/{session.Activity}' is not a presence the {options.Protocol} protocol can set. " +
                    $"Allowed pairs: {PresenceState.Describe(PresenceState.ValuesFor(options.Protocol))}.");
            }
        }
    }

    private static bool IsTenantId(string tenantId) =>
        Guid.TryParse(tenantId, out _) ||
        (Uri.CheckHostName(tenantId) == UriHostNameType.Dns && tenantId.Contains('.', StringComparison.Ordinal));
}
