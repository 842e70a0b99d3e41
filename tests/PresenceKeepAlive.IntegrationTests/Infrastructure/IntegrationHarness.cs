using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Sessions.Internal;

namespace PresenceKeepAlive.IntegrationTests.Infrastructure;

/// <summary>
/// The library in a real Generic Host, talking over loopback HTTP to an in-process <see cref="PresenceEmulator"/>.
/// One <see cref="FakeTimeProvider"/> drives both (observed, as the host's <see cref="TimeProvider"/> singleton; and as the emulator's
/// clock, time scale 1), so timeouts happen by <see cref="AdvanceAsync"/> while every request really crosses a socket.
/// </summary>
internal sealed class IntegrationHarness : IAsyncDisposable
{
    public const string ClientId = "22553876-f5ab-4529-bffb-cfe50aa89f87";
    public const string Section = PresenceKeepAliveOptions.SectionName;

    /// <summary>The longest real time any wait for the library or the emulator may take before the test fails.</summary>
    public static readonly TimeSpan RealTimeCap = TimeSpan.FromSeconds(20);

    public static readonly DateTimeOffset Start = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan DefaultMaxStep = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan NudgeAfter = TimeSpan.FromMilliseconds(200);

    private bool _stopped;

    private IntegrationHarness(FakeTimeProvider time, ObservedTimeProvider libraryTime, PresenceEmulator emulator, IHost host, GraphRequestLog requests)
    {
        Time = time;
        LibraryTime = libraryTime;
        Emulator = emulator;
        Host = host;
        Requests = requests;
        Manager = host.Services.GetRequiredService<IPresenceSessionManager>();
    }

    public FakeTimeProvider Time { get; }

    /// <summary>Gets the library's <see cref="TimeProvider"/>: <see cref="Time"/>, observed.</summary>
    public ObservedTimeProvider LibraryTime { get; }

    public PresenceEmulator Emulator { get; }

    public IHost Host { get; }

    public IPresenceSessionManager Manager { get; }

    /// <summary>Gets what the library's HttpClient sent and got back.</summary>
    public GraphRequestLog Requests { get; }

    public DateTimeOffset Now => Time.GetUtcNow();

    internal KeepAliveScheduler Scheduler => ((PresenceSessionManager)Manager).Scheduler;

    /// <summary>
    /// Starts the emulator and a host configured through the contract's configuration names
    /// (<c>PresenceKeepAlive:ClientId</c>, <c>BaseUrl</c>, and whatever <paramref name="settings"/> adds, without the section prefix).
    /// No credential is configured: the library sends its development token, as a user running the emulator would.
    /// </summary>
    public static async Task<IntegrationHarness> StartAsync(
        Action<PresenceEmulatorOptions>? configureEmulator = null,
        IReadOnlyDictionary<string, string?>? settings = null,
        bool startHost = true)
    {
        var time = new FakeTimeProvider(Start);
        var emulatorOptions = new PresenceEmulatorOptions { TimeProvider = time, TimeScale = 1 };
        configureEmulator?.Invoke(emulatorOptions);
        var emulator = await PresenceEmulator.StartAsync(emulatorOptions);
        try
        {
            var configuration = new Dictionary<string, string?>
            {
                [Section + ":ClientId"] = ClientId,
                [Section + ":BaseUrl"] = emulator.GraphV1Url.ToString(),
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                configuration[Section + ":" + key] = value;
            }

            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(configuration);
            var libraryTime = new ObservedTimeProvider(time);
            builder.Services.AddSingleton<TimeProvider>(libraryTime);
            var requests = new GraphRequestLog();
            builder.Services.AddPresenceSession(builder.Configuration.GetSection(Section))
                .HttpClientBuilder.AddHttpMessageHandler(() => new RecordingHandler(requests));
            var host = builder.Build();
            var harness = new IntegrationHarness(time, libraryTime, emulator, host, requests);
            if (startHost)
            {
                await host.StartAsync();
            }

            return harness;
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits, in real time up to <see cref="RealTimeCap"/>, until <paramref name="condition"/> holds; fails the test otherwise.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > RealTimeCap)
            {
                Assert.Fail($"Gave up after {RealTimeCap.TotalSeconds:0} s of real time waiting until {describe()}");
            }

            await Task.Yield();
        }
    }

    /// <summary>Awaits <paramref name="task"/> for at most <see cref="RealTimeCap"/> of real time.</summary>
    public static async Task WithinCapAsync(Task task, string what)
    {
        try
        {
            await task.WaitAsync(RealTimeCap);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Gave up after {RealTimeCap.TotalSeconds:0} s of real time waiting for {what}.");
        }
    }

    /// <summary>Waits until the emulator shows <paramref name="availability"/>/<paramref name="activity"/> for <paramref name="userId"/>.</summary>
    public Task WaitForPresenceAsync(string userId, string availability, string activity) =>
        WaitUntilAsync(
            () => Emulator.GetPresence(userId) is { } p && p.Availability == availability && p.Activity == activity,
            () => $"the emulator shows {availability}/{activity} for {userId} (it shows {Describe(Emulator.GetPresence(userId))})");

    public static string Describe(EmulatedPresence presence) => presence.Availability + "/" + presence.Activity;

    /// <summary>
    /// Moves both clocks forward by <paramref name="duration"/>: to each session's next refresh (so refreshes go out exactly
    /// when due), to the rate budget's next refill when something waits for it, and at most <paramref name="maxStep"/> at a
    /// time. After each step it waits until every send the step released has crossed the socket and been answered (or sleeps
    /// in a retry delay, which the next step then reaches), fails if a refresh is a minute overdue, then
    /// calls <paramref name="afterStep"/>.
    /// </summary>
    public async Task AdvanceAsync(TimeSpan duration, Action? afterStep = null, TimeSpan? maxStep = null)
    {
        var step = maxStep ?? DefaultMaxStep;
        var end = Now + duration;
        await WaitUntilQuietAsync();
        while (Now < end)
        {
            var now = Now;
            var next = Min(Min(end, now + step), NextWake(now));
            Time.Advance(next - now);
            await WaitUntilQuietAsync();
            FailIfStalled();
            afterStep?.Invoke();
        }
    }

    /// <summary>
    /// Waits until every send in flight sleeps on the fake clock (a retry delay) and nothing due is left that the rate
    /// budget would let go: from then on only moving the clock changes anything.
    /// </summary>
    public async Task WaitUntilQuietAsync()
    {
        var clock = Stopwatch.StartNew();
        var nudgeAt = NudgeAfter;
        while (!IsQuiet())
        {
            if (clock.Elapsed > RealTimeCap)
            {
                Assert.Fail($"Gave up after {RealTimeCap.TotalSeconds:0} s of real time waiting until {DescribeActivity()}");
            }

            if (clock.Elapsed > nudgeAt && Scheduler.InFlight <= LibraryTime.ArmedDelays)
            {
                // Something is due but nothing runs: a thread re-armed the scheduler's timer just as the clock moved,
                // read the new time, and set it one tick ahead (as a real clock would, a tick later). Let a tick pass.
                Time.Advance(TimeSpan.FromTicks(1));
                nudgeAt = clock.Elapsed + NudgeAfter;
            }

            await Task.Yield();
        }
    }

    /// <summary>Stops the host (signing off when configured), as Ctrl+C would.</summary>
    public async Task StopHostAsync()
    {
        _stopped = true;
        await WithinCapAsync(Host.StopAsync(), "the host to stop");
    }

    public async ValueTask DisposeAsync()
    {
        // Whatever a test left behind, teardown must not hang on a fault or on a retry delay of the fake clock.
        Emulator.ClearFaults();
        try
        {
            if (!_stopped)
            {
                _stopped = true;
                await DriveUntilCompletedAsync(Host.StopAsync(), "the host to stop");
            }

            await DriveUntilCompletedAsync(((IAsyncDisposable)Host).DisposeAsync().AsTask(), "the host to be disposed");
        }
        finally
        {
            await Emulator.DisposeAsync();
        }
    }

    /// <summary>A send more than a minute overdue means the library stopped scheduling: fail with what it holds.</summary>
    /// <summary>
    /// Gets or sets how late a due refresh may be before a step fails the test as stalled. One minute by default; a test
    /// that overloads a throttling service on purpose raises it, since Graph's Retry-After then legitimately delays sends.
    /// </summary>
    public TimeSpan StallTolerance { get; set; } = TimeSpan.FromMinutes(1);

    private void FailIfStalled()
    {
        var now = Now;
        var overdue = Manager.Sessions.Where(s => s.NextRefreshAt is { } due && now - due > StallTolerance).ToList();
        if (overdue.Count > 0)
        {
            var budget = Scheduler.Budget;
            Assert.Fail(
                $"{overdue.Count} sessions are more than {StallTolerance} overdue at {now:O} (first: {overdue[0].UserId}, {overdue[0].Status}, due {overdue[0].NextRefreshAt:O}); " +
                $"in flight {Scheduler.InFlight}, queued {Scheduler.QueuedCount}, budget {budget.Available} next free {new DateTimeOffset(budget.NextFreeTicks(now.UtcTicks), TimeSpan.Zero):O}, " +
                $"emulator requests {Emulator.Counters.TotalRequests}.");
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private bool IsQuiet()
    {
        // A send in flight either progresses (socket, continuations) or sleeps on an armed delay of the fake clock
        // (Polly's retry wait); only when every one of them sleeps, and the scheduler has handed every send it could
        // start to a thread, can the clock move. What is due but held (the budget, a throttling hold, the fleet's
        // backoff) waits for the scheduler's timer, which the next step reaches.
        var scheduler = Scheduler;
        return scheduler.WaitsForClock && scheduler.InFlight <= LibraryTime.ArmedDelays;
    }

    /// <summary>Whether the session has a send in flight (internal: no public API says so).</summary>
    private static bool IsSending(IPresenceSession session) => ((PresenceSession)session).IsSending;

    private DateTimeOffset NextWake(DateTimeOffset now)
    {
        var next = DateTimeOffset.MaxValue;
        if (LibraryTime.NextDelayDue is { } delay && delay > now && delay < next)
        {
            next = delay;
        }

        // The scheduler's one timer: the next due refresh, budget place, end of a hold or backoff probe. (Its instants
        // are engine time, which here is the fake clock's time: the harness never steps the wall clock.)
        var armed = Scheduler.ArmedAtTicks;
        if (armed != long.MaxValue)
        {
            var at = new DateTimeOffset(Math.Min(armed, DateTimeOffset.MaxValue.UtcTicks), TimeSpan.Zero);
            if (at > now && at < next)
            {
                next = at;
            }
        }

        return next;
    }

    private string DescribeActivity()
    {
        var now = Now;
        var due = Manager.Sessions.Where(s => s.NextRefreshAt is { } d && d <= now).Select(s => $"{s.UserId} ({s.Status}, due {s.NextRefreshAt:O}, sending {IsSending(s)})");
        return $"the library is quiet at {now:O}: {Scheduler.InFlight} sends in flight, {LibraryTime.ArmedDelays} delays armed, budget {Scheduler.Budget.Available}, due: [{string.Join(", ", due)}]";
    }

    private async Task DriveUntilCompletedAsync(Task task, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!task.IsCompleted)
        {
            if (clock.Elapsed > RealTimeCap)
            {
                Assert.Fail($"Gave up after {RealTimeCap.TotalSeconds:0} s of real time waiting for {what}.");
            }

            // Only a wait on the fake clock (the budget, a retry delay) can hold a send for long: move it on.
            if (Scheduler.InFlight <= LibraryTime.ArmedDelays || clock.Elapsed > TimeSpan.FromSeconds(1))
            {
                Time.Advance(TimeSpan.FromSeconds(1));
            }

            await Task.Yield();
        }

        await task;
    }
}
