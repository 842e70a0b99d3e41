using System.Globalization;
using System.Runtime.InteropServices;
using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.Emulator.Internal;

// presence-emulator --port 5080 [--time-scale 60] [--mode seed]   (--help for all); from a clone:
// dotnet run --project src/PresenceKeepAlive.Emulator.Tool -- --port 5080
PresenceEmulatorOptions? options;
try
{
    options = EmulatorCommandLine.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    await Console.Error.WriteLineAsync(ex.Message);
    await Console.Error.WriteLineAsync(EmulatorCommandLine.Usage);
    return 2;
}

if (options is null)
{
    Console.WriteLine(EmulatorCommandLine.Usage);
    return 0;
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

PresenceEmulator emulator;
try
{
    emulator = await PresenceEmulator.StartAsync(options);
}
catch (Exception ex) when (ex is ArgumentException or IOException)
{
    await Console.Error.WriteLineAsync($"Cannot start the emulator: {ex.Message}");
    return 1;
}

await using (emulator)
{
    Console.WriteLine($"Graph presence emulator listening on {emulator.BaseAddress} (mode {options.Mode}, time scale {options.TimeScale.ToString(CultureInfo.InvariantCulture)})");
    Console.WriteLine($"  v1.0:  {emulator.GraphV1Url}");
    Console.WriteLine($"  beta:  {emulator.GraphBetaUrl}");
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
}

return 0;
