namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>Emulated time: the start time plus the elapsed <see cref="TimeProvider"/> time times the scale.</summary>
internal sealed class EmulatedClock
{
    private readonly TimeProvider timeProvider;
    private readonly long startTimestamp;

    public EmulatedClock(TimeProvider timeProvider, double scale)
    {
        this.timeProvider = timeProvider;
        Scale = scale;
        Start = timeProvider.GetUtcNow();
        startTimestamp = timeProvider.GetTimestamp();
    }

    public DateTimeOffset Start { get; }

    public double Scale { get; }

    public TimeProvider TimeProvider => timeProvider;

    public DateTimeOffset Now
    {
        get
        {
            var elapsed = timeProvider.GetElapsedTime(startTimestamp);
            return Start + TimeSpan.FromTicks((long)(elapsed.Ticks * Scale));
        }
    }

    /// <summary>Converts an emulated span into the real span a client has to wait.</summary>
    public TimeSpan ToReal(TimeSpan emulated) => TimeSpan.FromTicks((long)Math.Ceiling(emulated.Ticks / Scale));
}
