using Microsoft.Kiota.Abstractions.Serialization;

namespace PresenceKeepAlive.Protocol.Internal;

/// <summary>The seed's <c>PATCH /users/{id}/presence</c> body: exactly <c>{availability, activity}</c>.</summary>
internal sealed class SeedPresencePatchBody : IParsable
{
    public string? Availability { get; set; }

    public string? Activity { get; set; }

    public IDictionary<string, Action<IParseNode>> GetFieldDeserializers() => new Dictionary<string, Action<IParseNode>>
    {
        ["availability"] = n => Availability = n.GetStringValue(),
        ["activity"] = n => Activity = n.GetStringValue(),
    };

    public void Serialize(ISerializationWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue("availability", Availability);
        writer.WriteStringValue("activity", Activity);
    }
}
