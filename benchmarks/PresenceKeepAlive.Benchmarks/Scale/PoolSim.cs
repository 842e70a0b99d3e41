using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Protocol.Internal;
using PresenceKeepAlive.Registrations.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>
/// Registrations (<see cref="PresenceAppPool"/>, the library's own) over <see cref="SimGraph"/> on one
/// <see cref="SimTimeProvider"/>: each app of each registration has its own strict fake Graph (its own budget per app per
/// tenant, every user known to it), and one <see cref="UserLedger"/> per registration watches what users see across
/// all apps: gaps longer than the timeout (lapses) and a user set by one app while another app's session is still alive.
/// </summary>
internal sealed class PoolSim : IDisposable
{
    public static readonly DateTimeOffset Start = EngineSim.Start;

    private readonly KeepAliveClock _clock;

    public PoolSim(int registrations, int appsPerRegistration, int sessionsPerRegistration, int seed = 1)
    {
        Time = new SimTimeProvider(Start);
        _clock = new KeepAliveClock(Time);
        Options = new PresenceKeepAliveOptions { SignOffOnDispose = false, BaseUrl = "http://127.0.0.1:5080/v1.0" };
        Metrics = new PresenceKeepAliveMetrics(null);
        var caps = new GlobalAppGates(_clock);
        for (var r = 0; r < registrations; r++)
        {
            var users = new string[sessionsPerRegistration];
            for (var i = 0; i < users.Length; i++)
            {
                users[i] = string.Create(CultureInfo.InvariantCulture, $"user{i}.t{r}@contoso.com");
            }

            var ledger = new UserLedger(users, Time, Options.SessionTimeout);
            Ledgers.Add(ledger);
            var graphs = new List<SimGraph>();
            Graphs.Add(graphs);
            var name = "t" + r.ToString(CultureInfo.InvariantCulture);
            RegistrationContext? context = null;
            context = new RegistrationContext
            {
                Name = name,
                Options = Options,
                TimeProvider = Time,
                GlobalGates = caps,
                CreateHttpClient = () => throw new InvalidOperationException("Simulated: no HTTP."),
                LoggerFactory = NullLoggerFactory.Instance,
                Metrics = Metrics,
                SlotFactory = app =>
                {
                    var graph = new SimGraph(Time, users, Options.RateLimitPerWindow, Options.RateLimitWindow, Options.SessionTimeout, Options.Lease) { Seed = seed };
                    graphs.Add(graph);
                    var protocol = new LedgerProtocol(graph, ledger, app.ClientId!);
                    var gate = context!.CreateGate(app.ClientId!);
                    var manager = new PresenceSessionManager(protocol, Options, Time, NullLogger.Instance, Metrics, new Random(seed), gate: gate, inlineDispatch: true);
                    return new AppSlot(app.ClientId!, gate, manager, Metrics);
                },
            };
            var slots = Enumerable.Range(0, appsPerRegistration).Select(a => context.CreateSlot(new PresenceAppRegistration { ClientId = ClientId(a) }));
            Pools.Add(new PresenceAppPool(context, slots, NullLogger.Instance));
        }
    }

    public SimTimeProvider Time { get; }

    public PresenceKeepAliveOptions Options { get; }

    public PresenceKeepAliveMetrics Metrics { get; }

    public List<PresenceAppPool> Pools { get; } = [];

    public List<UserLedger> Ledgers { get; } = [];

    /// <summary>Gets each registration's fake Graphs, one per app, in the order the apps were added.</summary>
    public List<List<SimGraph>> Graphs { get; } = [];

    public static string ClientId(int app) => string.Create(CultureInfo.InvariantCulture, $"a{app:x7}-0000-4000-8000-{app:x12}");

    /// <summary>Creates every registration's sessions and sets them Available at t = 0, tenant by tenant.</summary>
    public void SetAll()
    {
        for (var r = 0; r < Pools.Count; r++)
        {
            foreach (var user in Ledgers[r].Users)
            {
                _ = Pools[r].GetOrCreate(user).SetAsync(PresenceState.Available);
            }
        }
    }

    public void RunUntil(TimeSpan at) => Time.RunUntil(Start + at);

    /// <summary>Runs the clock (a simulated second at a time) until <paramref name="task"/> completes, at most <paramref name="limit"/>.</summary>
    public T Drive<T>(Task<T> task, TimeSpan limit)
    {
        var end = Time.GetUtcNow() + limit;
        while (!task.IsCompleted && Time.GetUtcNow() < end)
        {
            // The moves' awaits continue on the thread pool (the library's waiters complete asynchronously): let them
            // run before the clock moves on, as real time would, or the simulated clock races past them.
            Settle();
            Time.RunUntil(Time.GetUtcNow() + TimeSpan.FromMilliseconds(100));
        }

        return task.IsCompleted ? task.GetAwaiter().GetResult() : throw new TimeoutException("The task did not complete on the simulated clock.");
    }

    private static void Settle()
    {
        for (var quiet = 0; quiet < 3;)
        {
            Thread.Sleep(1);
            quiet = ThreadPool.PendingWorkItemCount == 0 ? quiet + 1 : 0;
        }
    }

    public void Dispose()
    {
        foreach (var pool in Pools)
        {
            pool.Dispose();
        }
    }

    /// <summary>What each user sees across all apps of one registration.</summary>
    internal sealed class UserLedger
    {
        private readonly Dictionary<string, int> _index = new(StringComparer.OrdinalIgnoreCase);
        private readonly long[] _lastAccepted;
        private readonly string?[] _holder;
        private readonly long _startTicks;
        private readonly long _timeoutTicks;
        private readonly TimeProvider _time;

        public UserLedger(string[] users, TimeProvider time, TimeSpan timeout)
        {
            Users = users;
            _time = time;
            _lastAccepted = new long[users.Length];
            _holder = new string?[users.Length];
            _startTicks = time.GetUtcNow().UtcTicks;
            _timeoutTicks = timeout.Ticks;
            for (var i = 0; i < users.Length; i++)
            {
                _index[users[i]] = i;
            }
        }

        public string[] Users { get; }

        /// <summary>Gets how often a user went longer than the timeout between two accepted sets (by any app).</summary>
        public long Lapses { get; private set; }

        /// <summary>Gets how often an app set a user while another app's session of that user was alive (not signed off).</summary>
        public long SetWhileOtherAppHolds { get; private set; }

        /// <summary>Gets how often an app's set was accepted for a user held by another app, before that one's sign-off.</summary>
        public long SignOffs { get; private set; }

        public void Accepted(string clientId, string userId, bool clear)
        {
            var i = _index[userId];
            var now = _time.GetUtcNow().UtcTicks;
            if (clear)
            {
                if (_holder[i] == clientId)
                {
                    _holder[i] = null;
                    SignOffs++;
                }

                return;
            }

            if (_holder[i] is { } other && other != clientId)
            {
                SetWhileOtherAppHolds++;
            }

            var last = _lastAccepted[i] == 0 ? _startTicks : _lastAccepted[i];
            if (now - last > _timeoutTicks)
            {
                Lapses++;
            }

            _lastAccepted[i] = now;
            _holder[i] = clientId;
        }

        /// <summary>Users past their deadline now (not refreshed within the timeout).</summary>
        public int OpenLapses()
        {
            var now = _time.GetUtcNow().UtcTicks;
            var open = 0;
            for (var i = 0; i < _lastAccepted.Length; i++)
            {
                if (now - (_lastAccepted[i] == 0 ? _startTicks : _lastAccepted[i]) > _timeoutTicks)
                {
                    open++;
                }
            }

            return open;
        }
    }

    /// <summary>One app's protocol: its fake Graph decides, the ledger records what was accepted.</summary>
    private sealed class LedgerProtocol(SimGraph graph, UserLedger ledger, string clientId) : IPresenceProtocol
    {
        public PresenceProtocol Protocol => PresenceProtocol.SetPresence;

        public Task SetPresenceAsync(string userId, PresenceState state, ActivityContext parent, CancellationToken cancellationToken) =>
            Record(graph.SetPresenceAsync(userId, state, parent, cancellationToken), userId, clear: false);

        public Task ClearPresenceAsync(string userId, ActivityContext parent, CancellationToken cancellationToken) =>
            Record(graph.ClearPresenceAsync(userId, parent, cancellationToken), userId, clear: true);

        private Task Record(Task sent, string userId, bool clear)
        {
            if (sent.IsCompletedSuccessfully)
            {
                ledger.Accepted(clientId, userId, clear);
            }

            return sent;
        }
    }
}
