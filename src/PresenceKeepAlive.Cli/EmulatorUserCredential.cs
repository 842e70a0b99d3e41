using System.Text;
using System.Text.Json;
using Azure.Core;

namespace PresenceKeepAlive.Cli;

/// <summary>
/// An unsigned token naming a signed-in user, for the local emulator only (<c>--emulator-user</c>): the emulator reads the
/// user of its delegated <c>/me</c> paths from it, as Graph does from a real delegated token. Never used off loopback.
/// </summary>
internal sealed class EmulatorUserCredential : TokenCredential
{
    private readonly string _token;
    private readonly TimeProvider _time;

    public EmulatorUserCredential(string userPrincipalName, string clientId, TimeProvider time)
    {
        _time = time;
        var payload = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["upn"] = userPrincipalName,
            ["azp"] = clientId,
            ["scp"] = "Presence.ReadWrite Presence.Read.All",
            ["aud"] = "https://graph.microsoft.com",
            ["iss"] = "presencekeepalive-cli-emulator",
        });
        _token = Part("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + Part(payload) + ".";
    }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(_token, _time.GetUtcNow().AddHours(1));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(GetToken(requestContext, cancellationToken));

    private static string Part(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
