using Azure.Core;

namespace PresenceKeepAlive.Benchmarks.Sdk;

/// <summary>A credential that hands out one fixed token at once: no identity endpoint, no network.</summary>
internal sealed class FixedTokenCredential : TokenCredential
{
    private static readonly AccessToken Token = new("benchmark-token", DateTimeOffset.MaxValue);

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => Token;

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(Token);
}
