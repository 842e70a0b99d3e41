using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Registrations.Internal;

namespace PresenceKeepAlive.IntegrationTests.Infrastructure;

/// <summary>
/// Many named registrations (tenants, app pools) in one real Generic Host, configured through one
/// <c>PresenceKeepAlive:Tenants</c> section, against the in-process emulator over loopback HTTP. Like
/// <see cref="IntegrationHarness"/>, one <see cref="FakeTimeProvider"/> drives both; a step waits until every
/// registration's scheduler is quiet and moves to the earliest timer of any of them.
/// </summary>
internal sealed class RegistrationsHarness : IAsyncDisposable
{
    public const string Section = PresenceKeepAliveOptions.SectionName;

    private static readonly TimeSpan DefaultMaxStep = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan NudgeAfter = TimeSpan.FromMilliseconds(200);
    private bool _stopped;

    private RegistrationsHarness(FakeTimeProvider time, ObservedTimeProvider libraryTime, PresenceEmulator emulator, IHost host)
    {
        Time = time;
        LibraryTime = libraryTime;
        Emulator = emulator;
        Host = host;
        Registry = host.Services.GetRequiredService<PresenceRegistry>();
    }

    public FakeTimeProvider Time { get; }

    public ObservedTimeProvider LibraryTime { get; }

    public PresenceEmulator Emulator { get; }

    public IHost Host { get; }

    internal PresenceRegistry Registry { get; }

    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>Gets every status change of every registration's sessions: (registration, event).</summary>
    public ConcurrentQueue<(string Registration, PresenceSessionStatusChangedEventArgs Change)> Changes { get; } = new();

    private IEnumerable<KeepAliveScheduler> Schedulers => Registry.Pools.SelectMany(p => p.Slots).Select(s => s.Manager.Scheduler);

    /// <summary>Starts the emulator and a host whose configuration is <paramref name="settings"/> (keys without the section prefix).</summary>
    public static async Task<RegistrationsHarness> StartAsync(IReadOnlyDictionary<string, string?> settings, Action<PresenceEmulatorOptions>? configureEmulator = null)
    {
        var time = new FakeTimeProvider(IntegrationHarness.Start);
        var emulatorOptions = new PresenceEmulatorOptions { TimeProvider = time, TimeScale = 1 };
        configureEmulator?.Invoke(emulatorOptions);
        var emulator = await PresenceEmulator.StartAsync(emulatorOptions);
        try
        {
            var configuration = new Dictionary<string, string?> { [Section + ":BaseUrl"] = emulator.GraphV1Url.ToString() };
            foreach (var (key, value) in settings)
            {
                configuration[Section + ":" + key] = value;
            }

            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(configuration);
            var libraryTime = new ObservedTimeProvider(time);
            builder.Services.AddSingleton<TimeProvider>(libraryTime);
            builder.Services.AddPresenceRegistrations(builder.Configuration.GetSection(Section));
            var host = builder.Build();
            var harness = new RegistrationsHarness(time, libraryTime, emulator, host);
            foreach (var name in harness.Registry.NamedRegistrations)
            {
                harness.Registry.GetPool(name).StatusChanged += (_, e) => harness.Changes.Enqueue((name, e));
            }

            await host.StartAsync();
            return harness;
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Moves the clock forward by <paramref name="duration"/>, step by step, as <see cref="IntegrationHarness.AdvanceAsync"/>
    /// does, to the earliest timer of any registration; but at least <paramref name="minStep"/> at a time, so that a hundred
    /// schedulers whose timers fall a few milliseconds apart are served by one step (each timer then fires up to that late).
    /// </summary>
    public async Task AdvanceAsync(TimeSpan duration, Action? afterStep = null, TimeSpan? maxStep = null, TimeSpan? minStep = null)
    {
        var step = maxStep ?? DefaultMaxStep;
        var least = minStep ?? TimeSpan.Zero;
        var end = Now + duration;
        await WaitUntilQuietAsync();
        while (Now < end)
        {
            var now = Now;
            var next = Min(end, Min(now + step, Max(NextWake(now), now + least)));
            Time.Advance(next - now);
            await WaitUntilQuietAsync();
            afterStep?.Invoke();
        }
    }

    /// <summary>Waits until every registration's sends in flight sleep on the fake clock and nothing due is left that a budget allows.</summary>
    public async Task WaitUntilQuietAsync()
    {
        var clock = Stopwatch.StartNew();
        var nudgeAt = NudgeAfter;
        while (!IsQuiet(out var inFlight))
        {
            if (clock.Elapsed > IntegrationHarness.RealTimeCap)
            {
                Assert.Fail($"Gave up after {IntegrationHarness.RealTimeCap.TotalSeconds:0} s of real time waiting until the registrations are quiet at {Now:O}: {inFlight} sends in flight, {LibraryTime.ArmedDelays} delays armed.");
            }

            if (clock.Elapsed > nudgeAt && inFlight <= LibraryTime.ArmedDelays)
            {
                // A scheduler re-armed its timer one tick ahead just as the clock moved (see IntegrationHarness).
                Time.Advance(TimeSpan.FromTicks(1));
                nudgeAt = clock.Elapsed + NudgeAfter;
            }

            // Polled in real time, not spun: with a hundred schedulers a spinning check takes their locks (and a core)
            // from the very sends it waits for. Nothing here is time logic: the library only sees the fake clock.
            await Task.Delay(TimeSpan.FromMilliseconds(1), TimeProvider.System);
        }
    }

    public async Task StopHostAsync()
    {
        _stopped = true;
        await IntegrationHarness.WithinCapAsync(Host.StopAsync(), "the host to stop");
    }

    public async ValueTask DisposeAsync()
    {
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

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private bool IsQuiet(out int inFlight)
    {
        inFlight = 0;
        var waits = true;
        foreach (var scheduler in Schedulers)
        {
            waits &= scheduler.WaitsForClock;
            inFlight += scheduler.InFlight;
        }

        return waits && inFlight <= LibraryTime.ArmedDelays;
    }

    private DateTimeOffset NextWake(DateTimeOffset now)
    {
        var next = DateTimeOffset.MaxValue;
        if (LibraryTime.NextDelayDue is { } delay && delay > now && delay < next)
        {
            next = delay;
        }

        foreach (var scheduler in Schedulers)
        {
            var armed = scheduler.ArmedAtTicks;
            if (armed != long.MaxValue)
            {
                var at = new DateTimeOffset(Math.Min(armed, DateTimeOffset.MaxValue.UtcTicks), TimeSpan.Zero);
                if (at > now && at < next)
                {
                    next = at;
                }
            }
        }

        return next;
    }

    private async Task DriveUntilCompletedAsync(Task task, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!task.IsCompleted)
        {
            if (clock.Elapsed > IntegrationHarness.RealTimeCap)
            {
                Assert.Fail($"Gave up after {IntegrationHarness.RealTimeCap.TotalSeconds:0} s of real time waiting for {what}.");
            }

            if (!IsQuiet(out _) && clock.Elapsed < TimeSpan.FromSeconds(1))
            {
                await Task.Yield();
                continue;
            }

            Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        await task;
    }
}
