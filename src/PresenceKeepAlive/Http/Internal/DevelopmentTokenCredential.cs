using System.Text;
using Azure.Core;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// An unsigned development token for a loopback emulator when no credential is configured. It names the client id
/// (as <c>appid</c>) so that an emulator can throttle per application. Never used for a non-loopback base URL.
/// </summary>
internal sealed class DevelopmentTokenCredential : TokenCredential
{
    private readonly string _token;
    private readonly TimeProvider _timeProvider;

    public DevelopmentTokenCredential(string clientId, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        var header = Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var payload = Base64Url($"{{\"appid\":\"{clientId}\",\"aud\":\"https://graph.microsoft.com\",\"iss\":\"presencekeepalive-development\"}}");
        _token = header + "." + payload + ".";
    }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(_token, _timeProvider.GetUtcNow().AddHours(1));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(GetToken(requestContext, cancellationToken));

    private static string Base64Url(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
