using Azure.Core;
using Azure.Identity;

namespace PresenceKeepAlive.Cli;

/// <summary>
/// Delegated sign-in for a person's own presence (<c>--sign-in device-code|browser</c>): Azure.Identity's device code or
/// interactive browser flow with its persistent token cache, and the account remembered in an authentication record, so
/// the next run signs in silently.
/// </summary>
internal static class DelegatedSignIn
{
    public const string DeviceCode = "device-code";
    public const string Browser = "browser";

    /// <summary>Creates the credential, signing in now when no account is remembered.</summary>
    /// <exception cref="AuthenticationFailedException">Sign-in failed.</exception>
    public static async Task<TokenCredential> SignInAsync(
        string flow, string clientId, string? tenantId, string scope, bool allowUnencryptedCache, TextWriter prompt, CancellationToken cancellationToken)
    {
        var recordPath = RecordPath(clientId, tenantId);
        var record = await ReadRecordAsync(recordPath, cancellationToken).ConfigureAwait(false);
        var cache = new TokenCachePersistenceOptions { Name = "presencekeepalive-cli", UnsafeAllowUnencryptedStorage = allowUnencryptedCache };
        var tenant = string.IsNullOrWhiteSpace(tenantId) ? "organizations" : tenantId;
        TokenCredential credential;
        Func<TokenRequestContext, CancellationToken, Task<AuthenticationRecord>> authenticate;
        if (flow == Browser)
        {
            var browser = new InteractiveBrowserCredential(new InteractiveBrowserCredentialOptions
            {
                ClientId = clientId,
                TenantId = tenant,
                TokenCachePersistenceOptions = cache,
                AuthenticationRecord = record,
            });
            credential = browser;
            authenticate = browser.AuthenticateAsync;
        }
        else
        {
            var deviceCode = new DeviceCodeCredential(new DeviceCodeCredentialOptions
            {
                ClientId = clientId,
                TenantId = tenant,
                TokenCachePersistenceOptions = cache,
                AuthenticationRecord = record,
                DeviceCodeCallback = (info, _) => prompt.WriteLineAsync(info.Message),
            });
            credential = deviceCode;
            authenticate = deviceCode.AuthenticateAsync;
        }

        if (record is null)
        {
            record = await authenticate(new TokenRequestContext([scope]), cancellationToken).ConfigureAwait(false);
            Directory.CreateDirectory(Path.GetDirectoryName(recordPath)!);
            await using var stream = File.Create(recordPath);
            await record.SerializeAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        return credential;
    }

    private static string RecordPath(string clientId, string? tenantId)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var name = $"auth-{clientId}-{(string.IsNullOrWhiteSpace(tenantId) ? "organizations" : tenantId)}.json";
        return Path.Combine(home, ".presencekeepalive", name);
    }

    private static async Task<AuthenticationRecord?> ReadRecordAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        await using var stream = File.OpenRead(path);
        return await AuthenticationRecord.DeserializeAsync(stream, cancellationToken).ConfigureAwait(false);
    }
}
