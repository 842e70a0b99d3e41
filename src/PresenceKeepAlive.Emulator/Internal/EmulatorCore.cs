namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>Everything one emulator instance shares between its endpoints, its middleware and its public facade.</summary>
internal sealed class EmulatorCore : IDisposable
{
    private readonly CancellationTokenSource stopping = new();

    public EmulatorCore(PresenceEmulatorOptions options)
    {
        Options = options;
        Clock = new EmulatedClock(options.TimeProvider, options.TimeScale);
        Store = new PresenceStore(Clock, new PresenceRules(options.Mode, options.InactivityTimeout), options.MaxHistoryPerUser);
        Throttler = options.ThrottlingEnabled ? new Throttler(options.ThrottleLimit, options.ThrottleWindow, Clock) : null;
        Faults = new FaultInjector(options.RandomSeed);
    }

    public PresenceEmulatorOptions Options { get; }

    public EmulatedClock Clock { get; }

    public PresenceStore Store { get; }

    public Throttler? Throttler { get; }

    public FaultInjector Faults { get; }

    public EmulatorCounters Counters { get; } = new();

    public CallerIdentity Identity { get; } = new();

    /// <summary>Cancelled when the emulator stops, so injected delays do not hold up shutdown.</summary>
    public CancellationToken Stopping => stopping.Token;

    public void Stop() => stopping.Cancel();

    public void Dispose() => stopping.Dispose();
}
