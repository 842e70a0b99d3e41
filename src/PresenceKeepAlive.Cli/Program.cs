using System.Runtime.InteropServices;
using PresenceKeepAlive.Cli;

// presence set adele@contoso.com Busy InACall --keep-alive   (presence --help for every command)
using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    // Handled here, not by the runtime: a kept-alive session signs off, then the tool exits 0.
    context.Cancel = true;
    stop.Cancel();
}

using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
return await PresenceCommandLine.RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable, stop.Token);
