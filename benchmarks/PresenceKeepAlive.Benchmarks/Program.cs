using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using PresenceKeepAlive.Benchmarks.Cluster;
using PresenceKeepAlive.Benchmarks.EndToEnd;
using PresenceKeepAlive.Benchmarks.Scale;
using PresenceKeepAlive.Benchmarks.Sdk;

switch (args.FirstOrDefault())
{
    case "scale":
        return ScaleHarness.Run(args[1..]);
    case "scale-sdk":
        return ScaleHarness.RunSdk(args[1..]);
    case "overhead":
        return await SdkOverhead.RunAsync(args[1..]);
    case "overhead-concurrent":
        return await SdkConcurrentOverhead.RunAsync(args[1..]);
    case "e2e":
        return await EmulatorEndToEnd.RunAsync(args[1..]);
    case "capacity":
        return CapacityHarness.Run(args[1..]);
    case "requests":
        return CapacityHarness.Requests(args[1..]);
    case "faults":
        return FaultHarness.Run(args[1..]);
    case "retry-after-one":
        return FaultHarness.RetryAfterOne(args[1..]);
    case "baselines":
        return BaselineHarness.Run(args[1..]);
    case "must-show":
        return MustShow.Run(args[1..]);
    case "selfcheck":
        return SimSelfCheck.Run(args[1..]);
    case "readback":
        return ReadBackHarness.Run(args[1..]);
    case "memory":
        return RealTimerMemory.Run(args[1..]);
    case "pools":
        return PoolHarness.Run(args[1..]);
    case "cluster":
        return await ClusterHarness.RunAsync(args[1..]);
    case "micro":
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun)
            .AddDiagnoser(MemoryDiagnoser.Default);
        BenchmarkSwitcher.FromAssembly(typeof(ScaleHarness).Assembly).Run(args[1..], config);
        return 0;
    default:
        Console.WriteLine("""
            PresenceKeepAlive benchmarks
              scale [--sessions 1000,10000,100000] [--hours 2] [--only engine,per-user-loop,serial-loop] [--out file.md]
                    the scale harness on a simulated clock against an in-memory Graph
              scale-sdk [--sessions 1000,10000] [--hours 2] [--engine-budget 1500] [--out file.md]
                    the engine over the fake protocol next to the engine over the real Graph SDK pipeline
                    (GraphPresenceProtocol, Polly, Graph handlers) with the fake Graph as its HTTP handler, simulated clock
              overhead [--calls 20000] [--rounds 11] [--allocations]
                    process CPU per call: engine over a no-op protocol, the Graph SDK send alone, the engine over the SDK
                    (--allocations: sampled allocated bytes per call by type instead of timings)
              overhead-concurrent [--sessions 4000] [--seconds 6] [--rounds 5] [--latency-ms 20] [--timeout 1]
                    refreshes at scale on real threads through the SDK (a short SessionTimeout, a handler answering after a
                    real delay) against the SDK alone at the same rate: process CPU per request
              e2e [--sessions 1000] [--seconds 40] [--time-scale 60]
                    end to end over loopback HTTP against the in-process emulator, timings scaled (bounded: 5,000 sessions, 120 s)
              capacity [--scenario clean|failures|contact-centre|all] [--hours 2] [--low 1000] [--high n] [--precision 10]
                       [--failure-rate 0.01] [--seed 1] [--sdk] [--count-late-starts] [--margin s] [--refresh s] [--all-states-time-out] [--out file.md]
                    zero-lapse capacity by bisection (simulated clock, strict fake Graph), worst gap, requests/session-h,
                    and the smallest count at which the over-capacity warning fires; ratio contact-centre / clean
              requests [--sessions 10000] [--hours 2] [--seed 1] [--sdk] [--margin s] [--out file.md]
                    requests per session-hour at a fixed count against the minimum the margin allows
              faults [--sessions 10000] [--hours 2] [--fault brownout,storm,hang] [--fault-at 30] [--brownout-minutes 10]
                     [--storm-minutes 5] [--storm-retry-after 10] [--hang-minutes 10] [--hang-fraction 0.1] [--seed 1] [--sdk] [--out file.md]
                    a 503 brownout, a 429 storm and hanging users at a fixed count: most requests in any closed 30 s window,
                    requests during the fault, lapses, recovery time against users / rate
              retry-after-one [--sessions 10000] [--hours 2] [--retry-after 600] [--throttle-seconds 600] [--seed 1] [--sdk] [--out file.md]
                    one user answered 429 with a long Retry-After while the others run: lapses among the others
              baselines [--sessions 10000,13500] [--hours 2] [--interval 275] [--paced-rate 49.5] [--only ...] [--seed 1] [--out file.md]
                    the engine next to naive and fair loops (per-user: all at t = 0 / random start phase; serial: paced at
                    the budget / just under it): lapses and 429s
              must-show [--out-dir must-show] [--quick]
                    every mode above with issue 8's settings, one markdown file per mode (--quick: small counts, short runs)
              selfcheck
                    checks the fake Graph's rules at the edges (closed windows, fading to the tick, hangs, random 503s)
              readback [--sessions 10000] [--hours 2] [--interval 60] [--contact-centre] [--out file.md]
                    read-back off and on at the same count: read calls per cycle, set requests, lapses, most requests in a closed 30 s window
              pools [capacity|move|registrations|all] [--apps 1,2,3] [--hours 2] [--precision 50] [--sessions n] [--add-at 30]
                    [--registrations 1,100] [--out file.md]
                    app pools and named registrations on the simulated clock: capacity with 1-3 apps for one tenant, a fourth
                    app added to 3 apps x 30,000 users (moves, sign-off first, budgets), CPU/memory per session at 100 registrations vs one
              cluster [--sessions 1000] [--minutes 4] [--out file.md]
                    the distributed mode: a 3-silo in-process Orleans cluster against one process (at the cluster's margin and at
                    its default), each against the emulator, timings / 5: requests per session-hour, CPU per refresh, lapses;
                    then a silo killed: detection against the last moved session refreshed elsewhere (~15 min at the defaults)
              memory [--sessions 100000]
                    memory per idle session with real timers (TimeProvider.System): engine vs a loop per user
              micro [BenchmarkDotNet arguments, e.g. --filter *]
                    micro benchmarks (ShortRun)
            """);
        return 1;
}
