using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Tests.Fakes;

/// <summary>A session manager wired to a fake service, a fake clock, a fake logger and its own meter.</summary>
internal sealed class Sut : IAsyncDisposable
{
    /// <param name="options">The options; by default, no sign-off on dispose.</param>
    /// <param name="seed">The jitter seed.</param>
    /// <param name="maxConcurrency">The bound on sends in flight.</param>
    /// <param name="managerTime">The manager's view of <see cref="Time"/> (for example one whose wall clock steps);
    /// the fake service always records the true time.</param>
    public Sut(PresenceKeepAliveOptions? options = null, int seed = 42, int maxConcurrency = 64, Func<FakeTimeProvider, TimeProvider>? managerTime = null)
    {
        Options = options ?? new PresenceKeepAliveOptions { SignOffOnDispose = false };
        Time = Clock.Create();
        Protocol = new FakePresenceProtocol(Time, Options.Protocol) { LapseThreshold = Options.SessionTimeout };
        Logger = new FakeLogger();
        Metrics = new PresenceKeepAliveMetrics(null);
        Manager = PresenceSessionManager.Create(Protocol, Options, managerTime?.Invoke(Time) ?? Time, Logger, Metrics, new Random(seed), maxConcurrency);
    }

    public PresenceKeepAliveOptions Options { get; }

    public FakeTimeProvider Time { get; }

    public FakePresenceProtocol Protocol { get; }

    public FakeLogger Logger { get; }

    public PresenceKeepAliveMetrics Metrics { get; }

    public PresenceSessionManager Manager { get; }

    public async ValueTask DisposeAsync()
    {
        await Manager.DisposeAsync();
        Metrics.Meter.Dispose();
    }
}
