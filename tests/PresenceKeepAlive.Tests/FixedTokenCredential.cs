using Azure.Core;

namespace PresenceKeepAlive.Tests;

/// <summary>A credential that hands out one fixed token and counts the calls.</summary>
internal sealed class FixedTokenCredential : TokenCredential
{
    private readonly string _token;
    private int _calls;

    public FixedTokenCredential(string token) => _token = token;

    public int Calls => Volatile.Read(ref _calls);

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return new AccessToken(_token, DateTimeOffset.MaxValue);
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(GetToken(requestContext, cancellationToken));
}
