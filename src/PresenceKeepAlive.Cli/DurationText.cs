using System.Globalization;
using System.Xml;

namespace PresenceKeepAlive.Cli;

/// <summary>Durations as people and scripts write them: <c>90s</c>, <c>15m</c>, <c>2h</c>, <c>1d</c>, <c>1h30m</c>, <c>00:30:00</c>, <c>PT30M</c>.</summary>
internal static class DurationText
{
    public const string Forms = "90s, 15m, 2h, 1d, 1h30m, 00:30:00 or PT30M";

    /// <exception cref="FormatException">The text is not a positive duration in one of <see cref="Forms"/>.</exception>
    public static TimeSpan Parse(string text, string optionName)
    {
        bool parsed;
        TimeSpan value;
        try
        {
            parsed = TryParse(text, out value);
        }
        catch (OverflowException)
        {
            // Too large for a TimeSpan (about 29,000 years): invalid input, not a crash.
            parsed = false;
            value = default;
        }

        if (parsed && value > TimeSpan.Zero)
        {
            return value;
        }

        throw new FormatException($"{optionName} '{text}' is not a positive duration: write it as {Forms}.");
    }

    /// <exception cref="FormatException">As <see cref="Parse"/>, or the duration is longer than <paramref name="max"/>.</exception>
    public static TimeSpan Parse(string text, string optionName, TimeSpan max)
    {
        var value = Parse(text, optionName);
        if (value > max)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{optionName} '{text}' is {value:c}, longer than the {max.TotalDays:0} days allowed: write a duration up to {max:c}."));
        }

        return value;
    }

    private static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            return false;
        }

        if (trimmed.StartsWith('P') || trimmed.StartsWith('p'))
        {
            try
            {
                value = XmlConvert.ToTimeSpan(trimmed.ToUpperInvariant());
                return true;
            }
            catch (FormatException)
            {
                return false;
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        if (trimmed.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out value);
        }

        var total = TimeSpan.Zero;
        var number = 0L;
        var digits = 0;
        foreach (var c in trimmed)
        {
            if (char.IsAsciiDigit(c))
            {
                if (++digits > 9)
                {
                    return false;
                }

                number = (number * 10) + (c - '0');
                continue;
            }

            if (digits == 0)
            {
                return false;
            }

            var unit = char.ToLowerInvariant(c) switch
            {
                's' => TimeSpan.FromSeconds(1),
                'm' => TimeSpan.FromMinutes(1),
                'h' => TimeSpan.FromHours(1),
                'd' => TimeSpan.FromDays(1),
                _ => TimeSpan.Zero,
            };
            if (unit == TimeSpan.Zero)
            {
                return false;
            }

            total += unit * number;
            number = 0;
            digits = 0;
        }

        if (digits > 0)
        {
            // A bare number is seconds.
            total += TimeSpan.FromSeconds(number);
        }

        value = total;
        return true;
    }
}
