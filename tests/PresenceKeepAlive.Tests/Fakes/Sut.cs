using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Tests.Fakes;

/// <summary>A session manager wired to a fake service, a fake clock, a fake logger and its own meter.</summary>
internal sealed class Sut : IAsyncDisposable
{
    public Sut(PresenceKeepAliveOptions? options = null, int seed = 42, int maxConcurrency = 64)
    {
        Options = options ?? new PresenceKeepAliveOptions { SignOffOnDispose = false };
        Time = Clock.Create();
        Protocol = new FakePresenceProtocol(Time, Options.Protocol) { LapseThreshold = Options.SessionTimeout };
        Logger = new FakeLogger();
        Metrics = new PresenceKeepAliveMetrics(null);
        Manager = PresenceSessionManager.Create(Protocol, Options, Time, Logger, Metrics, new Random(seed), maxConcurrency);
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
