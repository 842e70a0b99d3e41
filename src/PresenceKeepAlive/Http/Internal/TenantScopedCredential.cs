using Azure.Core;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// Asks a shared credential for tokens in one tenant: a multi-tenant app registration has one credential and a token
/// (and a rate budget) per customer tenant. Azure.Identity credentials honour <see cref="TokenRequestContext.TenantId"/>
/// when the tenant is their own or listed in <c>AdditionallyAllowedTenants</c> (or that list holds <c>*</c>), and cache
/// tokens per tenant.
/// </summary>
internal sealed class TenantScopedCredential : TokenCredential
{
    private readonly TokenCredential _inner;

    private TenantScopedCredential(TokenCredential inner, string tenantId)
    {
        _inner = inner;
        TenantId = tenantId;
    }

    public string TenantId { get; }

    /// <summary>Returns <paramref name="inner"/> scoped to <paramref name="tenantId"/>, or as it is when no tenant is set.</summary>
    public static TokenCredential Wrap(TokenCredential inner, string? tenantId) =>
        string.IsNullOrWhiteSpace(tenantId) ? inner : new TenantScopedCredential(inner, tenantId);

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        _inner.GetToken(InTenant(requestContext), cancellationToken);

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        _inner.GetTokenAsync(InTenant(requestContext), cancellationToken);

    private TokenRequestContext InTenant(TokenRequestContext context) => new(
        context.Scopes,
        context.ParentRequestId,
        context.Claims,
        TenantId,
        context.IsCaeEnabled,
        context.IsProofOfPossessionEnabled,
        context.ProofOfPossessionNonce,
        context.ResourceRequestUri,
        context.ResourceRequestMethod);
}
