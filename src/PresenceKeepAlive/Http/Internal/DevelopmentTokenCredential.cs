using System.Text;
using Azure.Core;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// An unsigned development token for a loopback emulator when no credential is configured. It names the client id
/// (as <c>appid</c>) and, when set, the tenant (as <c>tid</c>), so that an emulator can throttle per application and
/// tenant. Never used for a non-loopback base URL.
/// </summary>
internal sealed class DevelopmentTokenCredential : TokenCredential
{
    private readonly string _token;
    private readonly TimeProvider _timeProvider;

    public DevelopmentTokenCredential(string clientId, TimeProvider timeProvider, string? tenantId = null)
    {
        _timeProvider = timeProvider;
        var header = Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var claims = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["appid"] = clientId,
            ["aud"] = "https://graph.microsoft.com",
            ["iss"] = "presencekeepalive-development",
        };
        if (!string.IsNullOrWhiteSpace(tenantId))
        {
            claims["tid"] = tenantId;
        }

        // Serialized, not formatted: a value is never able to add claims of its own.
        var payload = Base64Url(System.Text.Json.JsonSerializer.Serialize(claims));
        _token = header + "." + payload + ".";
    }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(_token, _timeProvider.GetUtcNow().AddHours(1));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(GetToken(requestContext, cancellationToken));

    private static string Base64Url(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
