using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using PresenceKeepAlive.Benchmarks.Sdk;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Benchmarks.Micro;

/// <summary>
/// One refresh through the library's real DI graph (IHttpClientFactory, Polly policy, Graph's default handlers,
/// <c>GraphServiceClient</c> and Kiota serialization) over an in-memory handler that answers 200 at once: the Graph
/// SDK's own cost of building and sending one request, alone and with the engine in front of it. Compare with
/// <see cref="SessionBenchmarks.SetAsync"/>, the engine alone over a no-op protocol.
/// </summary>
[MemoryDiagnoser]
public class SdkSendBenchmarks
{
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(8);

    private ServiceProvider _services = null!;
    private IPresenceProtocol _protocol = null!;
    private IPresenceSession _session = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        // A budget that never binds, so that the engine is measured, not the wait for tokens.
        _services = SdkServices.Build(() => new OkHandler(), TimeProvider.System, o =>
        {
            o.RateLimitPerWindow = int.MaxValue / 4;
            o.RateLimitWindow = TimeSpan.FromSeconds(1);
        });
        _protocol = _services.GetRequiredService<IPresenceProtocol>();
        _session = _services.GetRequiredService<IPresenceSessionManager>().GetOrCreate("alice@contoso.com");

        // The SDK path is long: under ShortRun's 3 warm-up iterations much of it is still tier-0 code (measured: ~100
        // µs/op falling to ~16 µs/op only after some 60,000 calls). Warm both paths up here, bounded by time.
        var warmUp = System.Diagnostics.Stopwatch.StartNew();
        while (warmUp.Elapsed < WarmUpTime)
        {
            for (var i = 0; i < 1_000; i++)
            {
                Protocol_SetPresenceAsync().GetAwaiter().GetResult();
                Session_SetAsync_ThroughSdk().GetAwaiter().GetResult();
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _services.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>The SDK alone: <c>GraphPresenceProtocol.SetPresenceAsync</c> (setPresence POST) through the whole HTTP pipeline.</summary>
    [Benchmark(Baseline = true)]
    public Task Protocol_SetPresenceAsync() => _protocol.SetPresenceAsync("bob@contoso.com", State(), CancellationToken.None);

    /// <summary>The engine plus the SDK: <c>IPresenceSession.SetAsync</c> from the same container.</summary>
    [Benchmark]
    public Task Session_SetAsync_ThroughSdk() => _session.SetAsync(State());

    private PresenceState State() => (_next++ & 1) == 0 ? PresenceState.Available : PresenceState.BusyInACall;
}
