namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>Per-request facts the Graph middleware hands to the endpoints (stored as an HTTP feature).</summary>
internal sealed class GraphRequestInfo(string requestId, string clientRequestId, EmulatorOperation operation)
{
    public string RequestId { get; } = requestId;

    public string ClientRequestId { get; } = clientRequestId;

    public EmulatorOperation Operation { get; } = operation;

    public string AppKey { get; set; } = CallerIdentity.Anonymous;

    /// <summary>Gets or sets the caller's tenant (the token's <c>tid</c>), or <see cref="CallerIdentity.NoTenant"/>.</summary>
    public string Tenant { get; set; } = CallerIdentity.NoTenant;
}
