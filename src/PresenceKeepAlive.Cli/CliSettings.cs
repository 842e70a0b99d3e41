namespace PresenceKeepAlive.Cli;

/// <summary>How to reach Graph and sign in: the options every command takes, with the environment as fallback.</summary>
/// <param name="BaseUrl"><c>--base-url</c>, else <c>PRESENCE_BASE_URL</c>, else Graph v1.0.</param>
/// <param name="TenantId"><c>--tenant-id</c>, else <c>PRESENCE_TENANT_ID</c> or <c>AZURE_TENANT_ID</c>.</param>
/// <param name="ClientId"><c>--client-id</c>, else <c>PRESENCE_CLIENT_ID</c> or <c>AZURE_CLIENT_ID</c>; on loopback a fixed development id.</param>
/// <param name="CertificatePath"><c>--certificate-path</c>, else <c>PRESENCE_CERTIFICATE_PATH</c> (password in <c>PRESENCE_CERTIFICATE_PASSWORD</c>).</param>
/// <param name="SignIn"><c>--sign-in device-code|browser</c>: delegated sign-in, for your own presence (<c>me</c>).</param>
/// <param name="EmulatorUser"><c>--emulator-user</c>: on a loopback emulator, act as this signed-in user (its <c>/me</c> paths).</param>
/// <param name="AllowUnencryptedCache"><c>--allow-unencrypted-token-cache</c>: where no keyring exists (a headless Linux box).</param>
/// <param name="Verbose"><c>--verbose</c>: the library's log from Debug up on standard error.</param>
internal sealed record CliSettings(
    string? BaseUrl,
    string? TenantId,
    string? ClientId,
    string? CertificatePath,
    string? SignIn,
    string? EmulatorUser,
    bool AllowUnencryptedCache,
    bool Verbose)
{
    /// <summary>The client id used against a loopback emulator when none is given (any GUID but the empty one works there).</summary>
    public const string EmulatorClientId = "5e7c1a00-c11e-4c11-8c11-000000000001";
}
