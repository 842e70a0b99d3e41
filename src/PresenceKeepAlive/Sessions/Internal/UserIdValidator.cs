namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>
/// Checks user ids before they reach a URL: an object id (GUID) or a user principal name. Characters that could
/// steer a request to another path or query (<c>/ ? # % \ ..</c>), whitespace and control characters are refused.
/// </summary>
internal static class UserIdValidator
{
    private const string Allowed =
        "Use the user's object id (a GUID such as 8f2c1e4a-3b5d-4c6e-9f70-1a2b3c4d5e6f) or user principal name " +
        "(name@domain) without whitespace, control characters, '/', '?', '#', '%', '\\' or '..'.";

    public static void Validate(string userId, string paramName)
    {
        ArgumentNullException.ThrowIfNull(userId, paramName);
        if (!IsValid(userId))
        {
            throw new ArgumentException($"'{Printable(userId)}' is not a valid user id. {Allowed}", paramName);
        }
    }

    public static bool IsValid(string userId)
    {
        if (string.IsNullOrEmpty(userId) || userId.Length > 1024)
        {
            return false;
        }

        if (Guid.TryParseExact(userId, "D", out _))
        {
            return true;
        }

        foreach (var c in userId)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '?' or '#' or '%' or '\\')
            {
                return false;
            }
        }

        var at = userId.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at < userId.Length - 1 && userId.LastIndexOf('@') == at &&
               !userId.Contains("..", StringComparison.Ordinal);
    }

    private static string Printable(string value)
    {
        var chars = value.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsControl(chars[i]))
            {
                chars[i] = '?';
            }
        }

        return new string(chars);
    }
}
