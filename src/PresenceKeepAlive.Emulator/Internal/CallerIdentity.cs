using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>
/// Names the calling app from its bearer token: the JWT's <c>appid</c> or <c>azp</c> claim, else a short hash of the
/// token (so raw tokens never show up in state, history or logs). Results are cached per token.
/// </summary>
internal sealed class CallerIdentity
{
    public const string Anonymous = "anonymous";
    private const int MaxCached = 10_000;
    private readonly ConcurrentDictionary<string, string> cache = new(StringComparer.Ordinal);

    public string AppKeyFor(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return Anonymous;
        }

        if (cache.TryGetValue(token, out var known))
        {
            return known;
        }

        var key = ReadAppClaim(token) ?? "token-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)), 0, 8);
        if (cache.Count >= MaxCached)
        {
            cache.Clear();
        }

        cache[token] = key;
        return key;
    }

    private static string? ReadAppClaim(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var payload = Base64Url.DecodeFromChars(parts[1]);
            using var document = JsonDocument.Parse(payload);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var name in (ReadOnlySpan<string>)["appid", "azp"])
            {
                if (document.RootElement.TryGetProperty(name, out var claim) && claim.ValueKind == JsonValueKind.String
                    && claim.GetString() is { Length: > 0 } value)
                {
                    return value;
                }
            }
        }
        catch (FormatException)
        {
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
