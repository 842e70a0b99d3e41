namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>The body of <c>getPresencesByUserId</c>.</summary>
internal sealed class IdsRequestBody
{
    public List<string?>? Ids { get; set; }
}
