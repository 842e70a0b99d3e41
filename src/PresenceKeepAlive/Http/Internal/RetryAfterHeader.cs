using System.Globalization;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// The one reader of <c>Retry-After</c> (RFC 9110 section 10.2.3), used by the retry pipeline and by the error
/// translator alike: <c>delta-seconds</c> (<c>1*DIGIT</c>) or an <c>HTTP-date</c> in one of its three forms
/// (IMF-fixdate, the obsolete RFC 850 form, or asctime). Anything else (decimals, signs, exponents, a date in any
/// other shape) is treated as absent: a lenient parser once read <c>12.31</c> as 31 December, a 359-day wait.
/// </summary>
/// <remarks>
/// Absurdly long values are returned as they are; capping them is the scheduler's decision, not the parser's.
/// </remarks>
internal static class RetryAfterHeader
{
    /// <summary>The header's name.</summary>
    public const string Name = "Retry-After";

    /// <summary>
    /// The longest delta-seconds returned (about 68 years): a longer run of digits saturates here, as RFC 9110 asks
    /// of cache ages, instead of overflowing or being dropped.
    /// </summary>
    public static readonly TimeSpan MaxDelta = TimeSpan.FromSeconds(int.MaxValue);

    // IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT", asctime
    // "Sun Nov  6 08:49:37 1994" (a one-digit day is padded with a space). ParseExact also checks the day name.
    private const string ImfFixdate = "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'";
    private const string Rfc850 = "dddd, dd-MMM-yy HH':'mm':'ss 'GMT'";
    private static readonly string[] Asctime = ["ddd MMM  d HH':'mm':'ss yyyy", "ddd MMM dd HH':'mm':'ss yyyy"];

    /// <summary>Reads the <c>Retry-After</c> of <paramref name="response"/>.</summary>
    /// <param name="response">The response.</param>
    /// <param name="timeProvider">The clock an HTTP-date is measured against.</param>
    /// <returns>The wait Graph asked for, zero for a date already past, or <see langword="null"/> when the header is absent or invalid.</returns>
    public static TimeSpan? Of(HttpResponseMessage response, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(response);

        // The raw value: the typed RetryAfter property has its own, different, leniency.
        if (!response.Headers.NonValidated.TryGetValues(Name, out var values))
        {
            return null;
        }

        foreach (var value in values)
        {
            return Parse(value, timeProvider);
        }

        return null;
    }

    /// <summary>Parses one <c>Retry-After</c> field value.</summary>
    /// <param name="value">The field value, as received.</param>
    /// <param name="timeProvider">The clock an HTTP-date is measured against.</param>
    /// <returns>The wait, zero for a date already past, or <see langword="null"/> when <paramref name="value"/> is absent or not valid.</returns>
    public static TimeSpan? Parse(string? value, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (value is null)
        {
            return null;
        }

        // Only optional whitespace (SP / HTAB) may surround a field value.
        var text = value.AsSpan().Trim(" \t");
        if (text.IsEmpty)
        {
            return null;
        }

        if (IsAsciiDigits(text))
        {
            return DeltaSeconds(text);
        }

        if (TryParseHttpDate(text, timeProvider, out var date))
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static bool IsAsciiDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static TimeSpan DeltaSeconds(ReadOnlySpan<char> digits)
    {
        long seconds = 0;
        foreach (var c in digits)
        {
            seconds = (seconds * 10) + (c - '0');
            if (seconds >= int.MaxValue)
            {
                return MaxDelta;
            }
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static bool TryParseHttpDate(ReadOnlySpan<char> text, TimeProvider timeProvider, out DateTimeOffset date)
    {
        const DateTimeStyles Styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        var invariant = CultureInfo.InvariantCulture;
        if (DateTimeOffset.TryParseExact(text, ImfFixdate, invariant, Styles, out date) ||
            DateTimeOffset.TryParseExact(text, Asctime, invariant, Styles, out date))
        {
            return true;
        }

        // RFC 850's two-digit year: RFC 9110 reads a year more than 50 years in the future as the most recent past
        // year with the same last two digits, which is a two-digit-year window ending 50 years from now.
        var culture = (CultureInfo)invariant.Clone();
        culture.DateTimeFormat.Calendar.TwoDigitYearMax = timeProvider.GetUtcNow().Year + 50;
        return DateTimeOffset.TryParseExact(text, Rfc850, culture, Styles, out date);
    }
}
