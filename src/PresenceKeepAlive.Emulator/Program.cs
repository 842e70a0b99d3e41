using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Emulator;

// Usage: dotnet run --project src/PresenceKeepAlive.Emulator -- [--port 5080] [--host 127.0.0.1] [--time-scale 60]
//        [--mode graph|seed] [--inactivity-timeout 00:05:00] [--throttle-limit 1500] [--no-throttling] [--no-auth]
//        [--allow-non-loopback] [--log-level Information]
var options = new PresenceEmulatorOptions { Port = 5080, MinimumLogLevel = LogLevel.Information };
try
{
    for (var i = 0; i < args.Length; i++)
    {
        string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
        switch (args[i])
        {
            case "--port": options.Port = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--host": options.Host = Next(); break;
            case "--time-scale": options.TimeScale = double.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--mode": options.Mode = Enum.Parse<PresenceEmulatorMode>(Next(), ignoreCase: true); break;
            case "--inactivity-timeout": options.InactivityTimeout = TimeSpan.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--throttle-limit": options.ThrottleLimit = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--no-throttling": options.ThrottlingEnabled = false; break;
            case "--no-auth": options.RequireBearerToken = false; break;
            case "--allow-non-loopback": options.AllowNonLoopback = true; break;
            case "--log-level": options.MinimumLogLevel = Enum.Parse<LogLevel>(Next(), ignoreCase: true); break;
            default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
        }
    }
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 2;
}

using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

// Ctrl+C, and a service manager's or container's stop, shut the emulator down cleanly.
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

await using var emulator = await PresenceEmulator.StartAsync(options);
Console.WriteLine($"Graph presence emulator listening on {emulator.BaseAddress} (mode {options.Mode}, time scale {options.TimeScale.ToString(CultureInfo.InvariantCulture)})");
Console.WriteLine($"  v1.0: {emulator.GraphV1Url}");
Console.WriteLine($"  beta: {emulator.GraphBetaUrl}");
Console.WriteLine($"  state: {emulator.BaseAddress}_emulator/state");
Console.WriteLine("Press Ctrl+C to stop.");
Console.Out.Flush();
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

Console.WriteLine("Stopping.");
return 0;
