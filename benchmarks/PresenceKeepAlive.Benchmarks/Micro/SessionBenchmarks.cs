using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Protocol.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Benchmarks.Micro;

/// <summary>
/// The engine's own cost per operation, with a protocol that accepts at once: what the library adds on top of
/// the HTTP request.
/// </summary>
public class SessionBenchmarks
{
    private PresenceSessionManager _manager = null!;
    private IPresenceSession _session = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        // A budget that never binds, so the benchmark measures the engine, not the wait for tokens.
        _manager = PresenceSessionManager.Create(
            new NoOpProtocol(),
            new PresenceKeepAliveOptions { RateLimitPerWindow = int.MaxValue / 4, RateLimitWindow = TimeSpan.FromSeconds(1), SignOffOnDispose = false },
            TimeProvider.System,
            NullLogger.Instance,
            new PresenceKeepAliveMetrics(null));
        _session = _manager.GetOrCreate("alice@contoso.com");
    }

    [GlobalCleanup]
    public void Cleanup() => _manager.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>SetAsync end to end: version, queue, dispatch, send, reschedule the refresh, complete the caller.</summary>
    [Benchmark]
    public Task SetAsync() => _session.SetAsync((_next++ & 1) == 0 ? PresenceState.Available : PresenceState.BusyInACall);

    /// <summary>Looking a session up by user id (validation included).</summary>
    [Benchmark]
    public IPresenceSession GetOrCreate_Existing() => _manager.GetOrCreate("alice@contoso.com");

    private sealed class NoOpProtocol : IPresenceProtocol
    {
        public PresenceProtocol Protocol => PresenceProtocol.SetPresence;

        public Task SetPresenceAsync(string userId, PresenceState state, System.Diagnostics.ActivityContext parent, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ClearPresenceAsync(string userId, System.Diagnostics.ActivityContext parent, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
