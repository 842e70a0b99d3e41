using System.Collections;

namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>The log scope of one app of one registration: <c>PresenceRegistration</c>, <c>TenantId</c>, <c>ClientId</c>.</summary>
internal sealed class RegistrationLogScope(string registration, string? tenantId, string clientId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _values =
    [
        new("PresenceRegistration", registration),
        new("TenantId", tenantId),
        new("ClientId", clientId),
    ];

    public int Count => _values.Length;

    public KeyValuePair<string, object?> this[int index] => _values[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"PresenceRegistration:{_values[0].Value} TenantId:{_values[1].Value} ClientId:{_values[2].Value}";
}
