using System.Buffers;
using System.Text;
using System.Xml;

namespace PresenceKeepAlive.Protocol.Internal;

/// <summary>Checks ids and durations before anything is sent, so that no input can change a request's path.</summary>
internal static class PresenceRequestValidator
{
    /// <summary>Graph's shortest <c>expirationDuration</c>.</summary>
    public static readonly TimeSpan MinLease = TimeSpan.FromMinutes(5);

    /// <summary>Graph's longest <c>expirationDuration</c>.</summary>
    public static readonly TimeSpan MaxLease = TimeSpan.FromHours(4);

    private const int MaxUserIdLength = 256;

    /// <summary>Returns why <paramref name="userId"/> is not a GUID or user principal name, or <see langword="null"/> when it is one.</summary>
    public static string? DescribeInvalidUserId(string? userId)
    {
        if (string.IsNullOrWhiteSpace(userId))
        {
            return "A user id is required: the user's object id (a GUID) or user principal name (name@domain).";
        }

        if (string.Equals(userId, PresenceUserIds.Me, StringComparison.OrdinalIgnoreCase))
        {
            // The signed-in user (delegated self-mode): sent on Graph's /me paths, never inside a /users/{id} path.
            return null;
        }

        if (userId.Length > MaxUserIdLength)
        {
            return $"The user id is {userId.Length} characters long; at most {MaxUserIdLength} are allowed.";
        }

        for (var i = 0; i < userId.Length; i++)
        {
            var c = userId[i];
            if (!char.IsAscii(c))
            {
                // Entra user principal names are ASCII. Look-alikes of '/' or '.', invisible and direction-changing
                // characters would otherwise reach Graph (percent-encoded) and, worse, the logs.
                return $"The user id '{Printable(userId)}' contains {DescribeCodePoint(userId, i)} at position {i + 1}, which is not allowed: " +
                       "a user id is the user's object id (a GUID) or user principal name (name@domain), and user principal names are ASCII " +
                       "(letters, digits and ' . - _ ! ^ ~ before the @). Look-alike, invisible and text-direction characters are refused. For guest users, use the object id.";
            }

            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '\\' or '?' or '#' or '%')
            {
                return $"The user id '{Printable(userId)}' contains {DescribeChar(c)} at position {i + 1}, which is not allowed: use the user's object id (a GUID) or user principal name (name@domain) without '/', '\\', '?', '#', '%', whitespace or control characters. For guest users, use the object id.";
            }
        }

        // Checked after the characters: Guid.TryParse(Exact) trims surrounding whitespace and newlines, which would
        // then be sent in the request path. Only the canonical 8-4-4-4-12 form (no braces or parentheses) is an object id.
        if (Guid.TryParseExact(userId, "D", out _))
        {
            return null;
        }

        var at = userId.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != userId.LastIndexOf('@') || at == userId.Length - 1)
        {
            return $"The user id '{userId}' is neither a GUID nor a user principal name (name@domain).";
        }

        if (userId.Contains("..", StringComparison.Ordinal) || userId[0] == '.' || userId[^1] == '.')
        {
            return $"The user id '{userId}' contains '..' or starts or ends with '.', which is not allowed: use the user's object id (a GUID) or a user principal name (name@domain) without '..'.";
        }

        return null;
    }

    /// <summary>Throws when <paramref name="userId"/> is not a GUID or user principal name.</summary>
    /// <exception cref="ArgumentNullException">The id is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The id is not valid.</exception>
    public static void ValidateUserId(string? userId, string paramName = "userId")
    {
        ArgumentNullException.ThrowIfNull(userId, paramName);
        var problem = DescribeInvalidUserId(userId);
        if (problem is not null)
        {
            throw new ArgumentException(problem, paramName);
        }
    }

    /// <summary>Returns whether <paramref name="userId"/> is a directory object id (a GUID, as Graph writes it), the only id getPresencesByUserId takes.</summary>
    public static bool IsObjectId(string? userId) => Guid.TryParseExact(userId, "D", out var id) && id != Guid.Empty;

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="userId"/> when it is not a directory object id.</summary>
    public static void ValidateObjectId(string? userId, string paramName = "userIds")
    {
        ValidateUserId(userId, paramName);
        if (!IsObjectId(userId))
        {
            throw new ArgumentException(
                $"User id '{userId}' is not a directory object id: getPresencesByUserId takes the users' object ids (GUIDs such as 6e7f8a9b-0c1d-4e2f-8a3b-4c5d6e7f8a9b), not user principal names; read the signed-in user with 'me'.",
                paramName);
        }
    }

    /// <summary>Returns why <paramref name="clientId"/> is not an application (client) id, or <see langword="null"/> when it is one.</summary>
    public static string? DescribeInvalidClientId(string? clientId) =>
        Guid.TryParse(clientId, out var id) && id != Guid.Empty
            ? null
            : $"ClientId '{clientId}' is not an application (client) id: it must be the app registration's GUID, which is also the presence sessionId.";

    /// <summary>Returns why <paramref name="lease"/> is outside PT5M..PT4H, or <see langword="null"/> when it is inside.</summary>
    public static string? DescribeInvalidLease(TimeSpan lease) =>
        lease < MinLease || lease > MaxLease
            ? $"Lease {lease:c} ({XmlConvert.ToString(lease)}) is out of range: Graph accepts an expirationDuration from PT5M (00:05:00) to PT4H (04:00:00)."
            : null;

    private static string DescribeChar(char c) =>
        char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : $"'{c}'";

    // The code point itself, never the character: it may be invisible or turn the rest of the message around.
    private static string DescribeCodePoint(string text, int index) =>
        Rune.DecodeFromUtf16(text.AsSpan(index), out var rune, out _) == OperationStatus.Done
            ? $"U+{rune.Value:X4}"
            : $"U+{(int)text[index]:X4} (an unpaired surrogate)";

    // Only printable ASCII is echoed; anything else shows as '?'.
    private static string Printable(string text)
    {
        Span<char> buffer = stackalloc char[Math.Min(text.Length, 64)];
        var n = 0;
        foreach (var c in text.AsSpan(0, buffer.Length))
        {
            buffer[n++] = c is >= ' ' and <= '~' ? c : '?';
        }

        return new string(buffer[..n]);
    }
}
