using System.Globalization;
using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>Parses the program's arguments into options.</summary>
internal static class EmulatorCommandLine
{
    public const int DefaultPort = 5080;

    public const string Usage = """
        Usage: presence-emulator [options]
          --port <n>                  TCP port (default 5080; 0 picks a free one)
          --host <address>            IP address or localhost (default 127.0.0.1)
          --allow-non-loopback        allow a non-loopback --host (the emulator has no real security)
          --time-scale <x>            emulated seconds per real second (default 1; 60 = a minute a second)
          --mode graph|seed           v1.0 semantics or the seed's three-stage fade (default graph)
          --inactivity-timeout <t>    emulated inactivity timeout, hh:mm:ss (default 00:05:00)
          --throttle-limit <n>        requests per window per app (default 1500)
          --throttle-window <t>       emulated throttling window, hh:mm:ss (default 00:00:30)
          --no-throttling             never answer 429 by itself
          --no-auth                   accept requests without a bearer token
          --log-level <level>         Trace, Debug, Information (default), Warning, Error, None
        """;

    /// <summary>Parses arguments; returns <see langword="null"/> when help was asked for.</summary>
    /// <exception cref="ArgumentException">An argument is unknown or lacks its value.</exception>
    /// <exception cref="FormatException">A value cannot be parsed.</exception>
    public static PresenceEmulatorOptions? Parse(IReadOnlyList<string> args)
    {
        var options = new PresenceEmulatorOptions { Port = DefaultPort, MinimumLogLevel = LogLevel.Information };
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "-h" or "--help" or "-?":
                    return null;
                case "--port":
                    options.Port = int.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture);
                    break;
                case "--host":
                    options.Host = Value();
                    break;
                case "--allow-non-loopback":
                    options.AllowNonLoopback = true;
                    break;
                case "--time-scale":
                    options.TimeScale = double.Parse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture);
                    break;
                case "--mode":
                    options.Mode = ParseEnum<PresenceEmulatorMode>(name, Value());
                    break;
                case "--inactivity-timeout":
                    options.InactivityTimeout = TimeSpan.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--throttle-limit":
                    options.ThrottleLimit = int.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture);
                    break;
                case "--throttle-window":
                    options.ThrottleWindow = TimeSpan.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--no-throttling":
                    options.ThrottlingEnabled = false;
                    break;
                case "--no-auth":
                    options.RequireBearerToken = false;
                    break;
                case "--log-level":
                    options.MinimumLogLevel = ParseEnum<LogLevel>(name, Value());
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{name}'.");
            }
        }

        return options;
    }

    private static T ParseEnum<T>(string name, string value)
        where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(value, out _)
            ? parsed
            : throw new ArgumentException($"{name} '{value}' must be one of: {string.Join(", ", Enum.GetNames<T>())}.");
}
