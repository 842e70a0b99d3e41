using System.Globalization;
using System.Reflection;
using System.Xml;
using Microsoft.Extensions.Configuration;

namespace PresenceKeepAlive.Options.Internal;

/// <summary>
/// Binds <see cref="PresenceKeepAliveOptions"/> from configuration, accepting every duration as <see cref="TimeSpan"/> text
/// (<c>00:05:00</c>) or as an ISO 8601 duration (<c>PT5M</c>), which the configuration binder alone rejects.
/// </summary>
internal static class PresenceKeepAliveOptionsBinder
{
    private static readonly HashSet<string> DurationNames = typeof(PresenceKeepAliveOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && (p.PropertyType == typeof(TimeSpan) || p.PropertyType == typeof(TimeSpan?)))
        .Select(p => p.Name)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <exception cref="InvalidOperationException">A duration is neither TimeSpan text nor an ISO 8601 duration.</exception>
    public static void Bind(IConfiguration configuration, PresenceKeepAliveOptions options)
    {
        var converted = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var failures = new List<string>();
        foreach (var child in configuration.GetChildren())
        {
            if (!DurationNames.Contains(child.Key) || string.IsNullOrWhiteSpace(child.Value) || IsTimeSpanText(child.Value))
            {
                continue;
            }

            if (TryParseIso8601(child.Value, out var duration))
            {
                converted[child.Key] = duration.ToString("c", CultureInfo.InvariantCulture);
            }
            else
            {
                failures.Add(
                    $"{child.Key} '{child.Value}' (configuration key '{child.Path}') is not a duration: write TimeSpan text such as 00:05:00 " +
                    "or an ISO 8601 duration such as PT5M");
            }
        }

        if (failures.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", failures) + ".");
        }

        if (converted.Count == 0)
        {
            configuration.Bind(options);
            return;
        }

        // Bind everything else as it is, then the converted durations over it.
        var overlay = new ConfigurationBuilder()
            .AddInMemoryCollection(configuration.AsEnumerable(makePathsRelative: true)
                .Where(pair => !converted.ContainsKey(pair.Key))
                .Concat(converted))
            .Build();
        overlay.Bind(options);
    }

    /// <summary>
    /// Binds the settings of <paramref name="configuration"/> that every registration listed under
    /// <paramref name="registrationsKey"/> shares: all but that list and the per-registration lists (<c>Sessions</c>, <c>Apps</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">A duration is neither TimeSpan text nor an ISO 8601 duration.</exception>
    public static void BindDefaults(IConfiguration configuration, PresenceKeepAliveOptions options, string registrationsKey)
    {
        string[] excluded = [registrationsKey, nameof(PresenceKeepAliveOptions.Sessions), nameof(PresenceKeepAliveOptions.Apps)];
        var defaults = new ConfigurationBuilder()
            .AddInMemoryCollection(configuration.AsEnumerable(makePathsRelative: true)
                .Where(pair => pair.Value is not null && !excluded.Any(key =>
                    pair.Key.Equals(key, StringComparison.OrdinalIgnoreCase) ||
                    pair.Key.StartsWith(key + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase))))
            .Build();
        Bind(defaults, options);
    }

    private static bool IsTimeSpanText(string value) => TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out _);

    private static bool TryParseIso8601(string value, out TimeSpan duration)
    {
        duration = default;
        var text = value.Trim();
        if (!text.StartsWith('P') && !text.StartsWith("-P", StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            duration = XmlConvert.ToTimeSpan(text);
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
}
