using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Benchmarks.Sdk;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Protocol.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>The user mix of a simulated run.</summary>
internal enum SimMix
{
    /// <summary>Every session <c>Available/Available</c>, lease at the option's default (5 minutes).</summary>
    Available,

    /// <summary>Contact centre: even users <c>Available/Available</c>, odd users <c>Busy/InACall</c>; <c>Lease</c> PT30M for all.</summary>
    ContactCentre,
}

/// <summary>What one simulated engine run is made of.</summary>
internal sealed record SimSpec(int Sessions)
{
    public SimMix Mix { get; init; } = SimMix.Available;

    /// <summary>Gets the probability that an admitted request fails with 503, throughout the run.</summary>
    public double FailureRate { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>Gets a value indicating whether a first accept more than SessionTimeout after t = 0 counts as a lapse.</summary>
    public bool LateStartIsLapse { get; init; }

    /// <summary>Gets a value indicating whether the engine sends through the real Graph SDK pipeline (Polly, handlers,
    /// Kiota) with <see cref="SimGraph"/> as its HTTP handler, instead of the in-memory protocol.</summary>
    public bool Sdk { get; init; }

    /// <summary>Gets a wrapper around the protocol the engine sends through (read-back's fake reads), or <see langword="null"/>.</summary>
    public Func<IPresenceProtocol, TimeProvider, IPresenceProtocol>? WrapProtocol { get; init; }

    /// <summary>Gets extra option settings (applied after the harness's own).</summary>
    public Action<PresenceKeepAliveOptions>? Configure { get; init; }

    public static TimeSpan LeaseOf(SimMix mix) => mix == SimMix.ContactCentre ? TimeSpan.FromMinutes(30) : new PresenceKeepAliveOptions().Lease;

    public static PresenceState StateOf(SimMix mix, int i) => mix == SimMix.ContactCentre && i % 2 == 1 ? PresenceState.BusyInACall : PresenceState.Available;

    public static string Describe(SimMix mix) => mix == SimMix.ContactCentre
        ? "contact centre (half Available, half Busy/InACall; Lease PT30M)"
        : "all Available (Lease PT5M)";

    public PresenceKeepAliveOptions Options()
    {
        var options = new PresenceKeepAliveOptions { SignOffOnDispose = false, Lease = LeaseOf(Mix) };
        Configure?.Invoke(options);
        return options;
    }
}

/// <summary>
/// One run of the library's engine (<see cref="PresenceSessionManager"/>) over <see cref="SimGraph"/> on
/// <see cref="SimTimeProvider"/>: every user's session is created and set at the start (t = 0); the caller drives the
/// clock (<see cref="RunUntil"/>) and switches faults on the graph between steps. Counts the over-capacity warning
/// through a <see cref="MeterListener"/> on <c>presencekeepalive.rate_budget.over_capacity</c> (this run's meter only),
/// the engine's own lapse counter, and captures the text of log event 109.
/// </summary>
internal sealed class EngineSim : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);

    private readonly MeterListener _listener;
    private readonly ServiceProvider? _sdk;
    private readonly Stopwatch _wall = new();
    private int _created;

    public EngineSim(SimSpec spec)
    {
        Spec = spec;
        Options = spec.Options();
        var n = spec.Sessions;
        Users = new string[n];
        for (var i = 0; i < n; i++)
        {
            // Object ids, as Graph's getPresencesByUserId (read-back) requires; the last 12 hex digits are the index.
            Users[i] = UserId(i);
        }

        Time = new SimTimeProvider(Start);
        Graph = new SimGraph(Time, Users, Options.RateLimitPerWindow, Options.RateLimitWindow, Options.SessionTimeout, Options.Lease)
        {
            FailureRate = spec.FailureRate,
            Seed = spec.Seed,
            HangTimeout = Options.AttemptTimeout,
            LateStartIsLapse = spec.LateStartIsLapse,
        };
        Settings = new KeepAliveSettings(Options);
        Metrics = new PresenceKeepAliveMetrics(null);
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, Metrics.Meter) &&
                    instrument.Name is "presencekeepalive.rate_budget.over_capacity" or "presencekeepalive.sessions.lapses")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "presencekeepalive.sessions.lapses")
            {
                EngineLapses += value;
                return;
            }

            Warnings += value;
            if (FirstWarningAt is null)
            {
                FirstWarningAt = Time.GetUtcNow() - Start;
                SessionsAtFirstWarning = _created;
            }
        });
        _listener.Start();

        IPresenceProtocol protocol = Graph;
        if (spec.Sdk)
        {
            var handler = new SimGraphHandler(Graph);
            _sdk = SdkServices.Build(() => handler, Time, o =>
            {
                o.Lease = Options.Lease;
                spec.Configure?.Invoke(o);
            });
            protocol = _sdk.GetRequiredService<IPresenceProtocol>();
        }

        protocol = spec.WrapProtocol?.Invoke(protocol, Time) ?? protocol;
        Logger = new CapturingLogger();
        ShownLapsed = new bool[n];
        _wall.Start();
        // Sends run inline on the simulated clock's thread: queued to the thread pool they would run after simulated time moved on.
        Manager = PresenceSessionManager.Create(protocol, Options, Time, Logger, Metrics, new Random(spec.Seed), inlineDispatch: true);
        Manager.StatusChanged += (_, e) =>
        {
            if (e.Status == PresenceSessionStatus.Lapsed && IndexOf(e.UserId) is var i and >= 0)
            {
                ShownLapsed[i] = true;
            }
        };
        for (var i = 0; i < n; i++)
        {
            _created = i + 1;
            _ = Manager.GetOrCreate(Users[i]).SetAsync(SimSpec.StateOf(spec.Mix, i));
        }

        _wall.Stop();
    }

    public SimSpec Spec { get; }

    public PresenceKeepAliveOptions Options { get; }

    /// <summary>Gets the engine's settings as it reads them (margin, interval).</summary>
    public KeepAliveSettings Settings { get; }

    public string[] Users { get; }

    public SimTimeProvider Time { get; }

    public SimGraph Graph { get; }

    public PresenceKeepAliveMetrics Metrics { get; }

    public PresenceSessionManager Manager { get; }

    public CapturingLogger Logger { get; }

    public long Warnings { get; private set; }

    public TimeSpan? FirstWarningAt { get; private set; }

    /// <summary>Gets how many sessions had been created when the warning first fired (all of them when it fired later).</summary>
    public int SessionsAtFirstWarning { get; private set; }

    public long EngineLapses { get; private set; }

    /// <summary>Gets, per user, whether the engine ever raised a status change to <see cref="PresenceSessionStatus.Lapsed"/>.</summary>
    public bool[] ShownLapsed { get; }

    /// <summary>Gets the users that lapsed at the fake Graph but were never shown <c>Lapsed</c> by the engine.</summary>
    public int HiddenLapses()
    {
        var hidden = 0;
        for (var i = 0; i < ShownLapsed.Length; i++)
        {
            if (!ShownLapsed[i] && Graph.IsLapsed(i))
            {
                hidden++;
            }
        }

        return hidden;
    }

    /// <summary>The object id of simulated user <paramref name="index"/>.</summary>
    public static string UserId(int index) => string.Create(CultureInfo.InvariantCulture, $"0a1b2c3d-0000-4000-8000-{index:x12}");

    /// <summary>The index of a simulated user from its object id, or -1.</summary>
    public static int IndexOf(string userId) =>
        userId.Length == 36 && userId.StartsWith("0a1b2c3d-0000-4000-8000-", StringComparison.OrdinalIgnoreCase) &&
        int.TryParse(userId.AsSpan(24), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var i) ? i : -1;

    public TimeSpan Elapsed => Time.GetUtcNow() - Start;

    public double WallSeconds => _wall.Elapsed.TotalSeconds;

    /// <summary>Runs the clock to <paramref name="at"/> after the start.</summary>
    public void RunUntil(TimeSpan at)
    {
        _wall.Start();
        Time.RunUntil(Start + at);
        _wall.Stop();
    }

    public void Dispose()
    {
        _listener.Dispose();
        if (Graph.OffClockThread > 0)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  WARNING: {Graph.OffClockThread:N0} of {Graph.Requests:N0} requests reached the fake Graph off the simulated clock's thread: the engine queued work elsewhere (thread pool?), so this run's figures are not reliable."));
        }


        // Disposal may wait for sends in flight (a hanging one ends at its attempt timeout): let the clock run.
        var disposing = Manager.DisposeAsync().AsTask();
        for (var i = 0; i < 20 && !disposing.IsCompleted; i++)
        {
            Time.RunUntil(Time.GetUtcNow() + TimeSpan.FromMinutes(1));
        }

        _sdk?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Captures event 109 (over capacity) and counts errors.</summary>
    internal sealed class CapturingLogger : ILogger
    {
        public string? OverCapacityMessage { get; private set; }

        public int OverCapacityEvents { get; private set; }

        /// <summary>Gets how often the fleet started backing off (event 117).</summary>
        public int BackoffEvents { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 117)
            {
                BackoffEvents++;
            }

            if (eventId.Id == 109)
            {
                OverCapacityEvents++;
                OverCapacityMessage ??= formatter(state, exception);
            }
        }
    }
}
