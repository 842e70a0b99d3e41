using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>
/// Names the calling app from its bearer token: the JWT's <c>appid</c> or <c>azp</c> claim, else a short hash of the
/// token (so raw tokens never show up in state, history or logs); and its tenant from the <c>tid</c> claim. Results are
/// cached per token.
/// </summary>
internal sealed class CallerIdentity
{
    public const string Anonymous = "anonymous";

    /// <summary>The tenant of a token without a <c>tid</c> claim.</summary>
    public const string NoTenant = "";
    private const int MaxCached = 10_000;
    private readonly ConcurrentDictionary<string, (string App, string Tenant)> cache = new(StringComparer.Ordinal);

    public string AppKeyFor(string? token) => CallerFor(token).App;

    /// <summary>Returns the app key and the tenant (<see cref="NoTenant"/> when the token names none) of <paramref name="token"/>.</summary>
    public (string App, string Tenant) CallerFor(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return (Anonymous, NoTenant);
        }

        if (cache.TryGetValue(token, out var known))
        {
            return known;
        }

        var (app, tenant) = ReadClaims(token);
        var caller = (app ?? "token-" + ToLowerHex(SHA256.HashData(Encoding.UTF8.GetBytes(token)).AsSpan(0, 8)), tenant ?? NoTenant);
        if (cache.Count >= MaxCached)
        {
            cache.Clear();
        }

        cache[token] = caller;
        return caller;
    }

    private static (string? App, string? Tenant) ReadClaims(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return (null, null);
        }

        try
        {
            var payload = DecodeBase64Url(parts[1]);
            using var document = JsonDocument.Parse(payload);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            string? app = null;
            foreach (var name in (ReadOnlySpan<string>)["appid", "azp"])
            {
                if (document.RootElement.TryGetProperty(name, out var claim) && claim.ValueKind == JsonValueKind.String
                    && claim.GetString() is { Length: > 0 } value)
                {
                    app = value;
                    break;
                }
            }

            var tenant = document.RootElement.TryGetProperty("tid", out var tid) && tid.ValueKind == JsonValueKind.String
                && tid.GetString() is { Length: > 0 } tenantId
                    ? tenantId
                    : null;
            return (app, tenant);
        }
        catch (FormatException)
        {
        }
        catch (JsonException)
        {
        }

        return (null, null);
    }

    // Convert.ToHexStringLower and System.Buffers.Text.Base64Url are .NET 9+; the emulator also targets net8.0.
    private static string ToLowerHex(ReadOnlySpan<byte> bytes)
    {
        const string Digits = "0123456789abcdef";
        var chars = new char[bytes.Length * 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[2 * i] = Digits[bytes[i] >> 4];
            chars[(2 * i) + 1] = Digits[bytes[i] & 0xF];
        }

        return new string(chars);
    }

    /// <exception cref="FormatException"><paramref name="text"/> is not base64url.</exception>
    private static byte[] DecodeBase64Url(string text)
    {
        var base64 = new StringBuilder(text.Length + 3).Append(text).Replace('-', '+').Replace('_', '/');
        switch (text.Length % 4)
        {
            case 2:
                base64.Append("==");
                break;
            case 3:
                base64.Append('=');
                break;
            case 1:
                throw new FormatException("A base64url text cannot have a length of 4n+1.");
        }

        return Convert.FromBase64String(base64.ToString());
    }
}
