namespace PresenceKeepAlive;

/// <summary>
/// A presence status message (<c>setStatusMessage</c>): plain text shown beside the user's presence, with an optional
/// expiry. Checked when created, so nothing invalid is ever sent.
/// </summary>
/// <remarks>
/// Graph takes the message as <c>text</c> content only: markup is shown as written, not rendered. Like preferred presence,
/// a status message belongs to the user, not to an application session: it is a one-shot request that nothing keeps
/// alive, and it stays until it expires, is replaced or is cleared.
/// </remarks>
public sealed class PresenceStatusMessage
{
    /// <summary>The longest message, in UTF-16 characters: Teams shows at most 280.</summary>
    public const int MaxLength = 280;

    /// <summary>Initializes a status message.</summary>
    /// <param name="text">The text: at most <see cref="MaxLength"/> characters, no control characters other than line breaks.</param>
    /// <param name="expiresAt">When the message ends; <see langword="null"/> for a message that never expires.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The text is empty, too long or holds a control character.</exception>
    public PresenceStatusMessage(string text, DateTimeOffset? expiresAt = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (DescribeInvalidText(text) is { } problem)
        {
            throw new ArgumentException(problem, nameof(text));
        }

        Text = text;
        ExpiresAt = expiresAt;
    }

    /// <summary>Gets the text.</summary>
    public string Text { get; }

    /// <summary>Gets when the message ends, or <see langword="null"/> when it never expires.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>Returns the text.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Text;

    internal static string? DescribeInvalidText(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "A status message needs some text; to remove the message, clear it instead.";
        }

        if (text.Length > MaxLength)
        {
            return $"The status message is {text.Length} characters long; at most {MaxLength} are allowed.";
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) && c is not '\n' and not '\r')
            {
                return $"The status message contains the control character U+{(int)c:X4} at position {i + 1}; only text and line breaks are allowed.";
            }

            if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) &&
                !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(text[i - 1])))
            {
                return $"The status message contains an unpaired surrogate U+{(int)c:X4} at position {i + 1}; it is not valid text.";
            }
        }

        return null;
    }
}
