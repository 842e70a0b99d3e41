using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Emulator.Internal;

namespace PresenceKeepAlive.Emulator;

/// <summary>
/// A local stand-in for Microsoft Graph's presence API, served by Kestrel on loopback: what Azurite is to Azure Storage.
/// </summary>
/// <remarks>
/// Start one with <see cref="StartAsync"/> and point a client (for example <c>GraphServiceClient</c>) at
/// <see cref="GraphV1Url"/> or <see cref="GraphBetaUrl"/>. Fades and expiries are computed from timestamps when state
/// is read, so a <c>FakeTimeProvider</c> in <see cref="PresenceEmulatorOptions.TimeProvider"/> drives them exactly.
/// Admin endpoints, without authentication: <c>POST /_emulator/faults</c>, <c>GET /_emulator/faults</c>,
/// <c>DELETE /_emulator/faults</c>, <c>GET /_emulator/state</c>.
/// </remarks>
public sealed class PresenceEmulator : IAsyncDisposable
{
    private readonly EmulatorCore core;
    private readonly WebApplication app;
    private int disposed;

    private PresenceEmulator(EmulatorCore core, WebApplication app, Uri baseAddress)
    {
        this.core = core;
        this.app = app;
        BaseAddress = baseAddress;
        GraphV1Url = new Uri(baseAddress, "v1.0/");
        GraphBetaUrl = new Uri(baseAddress, "beta/");
    }

    /// <summary>Gets the root address, e.g. <c>http://127.0.0.1:5080/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Gets the Graph v1.0 base URL: <see cref="BaseAddress"/> plus <c>v1.0/</c>.</summary>
    public Uri GraphV1Url { get; }

    /// <summary>Gets the Graph beta base URL: <see cref="BaseAddress"/> plus <c>beta/</c>.</summary>
    public Uri GraphBetaUrl { get; }

    /// <summary>Gets a copy of the options the emulator was started with; changing it has no effect.</summary>
    public PresenceEmulatorOptions Options => core.Options;

    /// <summary>Gets the current emulated time.</summary>
    public DateTimeOffset EmulatedNow => core.Clock.Now;

    /// <summary>Gets the live request counters.</summary>
    public EmulatorCounters Counters => core.Counters;

    /// <summary>Gets the fault rules that are not spent yet.</summary>
    public IReadOnlyList<FaultRule> Faults => core.Faults.Rules;

    /// <summary>Starts an emulator and waits until it listens.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults. They are copied: later changes have no effect.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running emulator; dispose it to stop.</returns>
    /// <exception cref="ArgumentException">An option is out of range, or <see cref="PresenceEmulatorOptions.Host"/> is not loopback without <see cref="PresenceEmulatorOptions.AllowNonLoopback"/>.</exception>
    public static async Task<PresenceEmulator> StartAsync(PresenceEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options = options?.Clone() ?? new PresenceEmulatorOptions();
        Validate(options);
        var address = EmulatorHost.ResolveAddress(options);

        var core = new EmulatorCore(options);
        var app = EmulatorHost.Build(core, address);
        try
        {
            await app.StartAsync(cancellationToken);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("Kestrel reported no address.");
            var port = new Uri(bound).Port;
            var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
            var emulator = new PresenceEmulator(core, app, new Uri($"http://{host}:{port}/"));
            Log.Started(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<PresenceEmulator>(), emulator.BaseAddress, options.Mode, options.TimeScale);
            return emulator;
        }
        catch
        {
            core.Stop();
            await app.DisposeAsync();
            core.Dispose();
            throw;
        }
    }

    /// <summary>Gets a user's aggregated presence (what others see) at the current emulated time.</summary>
    /// <param name="userId">The user id as written by clients (GUID or UPN; compared case-insensitively).</param>
    /// <returns>The presence; <c>Offline/Offline</c> when the user has no session.</returns>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is null or white space.</exception>
    public EmulatedPresence GetPresence(string userId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        var pair = core.Store.GetPresence(userId);
        return new EmulatedPresence(userId, pair.Availability, pair.Activity);
    }

    /// <summary>Gets a user's live sessions with their current (faded) state.</summary>
    /// <param name="userId">The user id.</param>
    /// <returns>The sessions, in the order they were created.</returns>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is null or white space.</exception>
    public IReadOnlyList<EmulatedSession> GetSessions(string userId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        return core.Store.GetSessions(userId);
    }

    /// <summary>Gets the recorded changes of aggregated presence, fades and expiries included, oldest first.</summary>
    /// <param name="userId">One user, or <see langword="null"/> for all users.</param>
    /// <returns>The changes, ordered by emulated time.</returns>
    public IReadOnlyList<PresenceChange> GetHistory(string? userId = null) => core.Store.GetHistory(userId);

    /// <summary>Adds a fault rule; rules are tried in the order they were added.</summary>
    /// <param name="rule">The rule.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rule"/> is null.</exception>
    /// <exception cref="ArgumentException">The rule is invalid (see <see cref="FaultRule.Validate"/>).</exception>
    public void AddFault(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        core.Faults.Add(rule);
    }

    /// <summary>Removes every fault rule.</summary>
    public void ClearFaults() => core.Faults.Clear();

    /// <summary>Stops the server; requests held by injected delays are aborted.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        core.Stop();
        await app.StopAsync();
        await app.DisposeAsync();
        core.Dispose();
    }

    private static void Validate(PresenceEmulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options));
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Port {options.Port} must be between 0 and 65535.", nameof(options));
        }

        if (!double.IsFinite(options.TimeScale) || options.TimeScale <= 0)
        {
            throw new ArgumentException($"TimeScale {options.TimeScale} must be a positive number.", nameof(options));
        }

        if (options.InactivityTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"InactivityTimeout {options.InactivityTimeout} must be positive.", nameof(options));
        }

        if (options.ThrottleLimit < 1)
        {
            throw new ArgumentException($"ThrottleLimit {options.ThrottleLimit} must be at least 1.", nameof(options));
        }

        if (options.ThrottleWindow <= TimeSpan.Zero)
        {
            throw new ArgumentException($"ThrottleWindow {options.ThrottleWindow} must be positive.", nameof(options));
        }

        if (options.MaxHistoryPerUser < 0)
        {
            throw new ArgumentException($"MaxHistoryPerUser {options.MaxHistoryPerUser} must not be negative.", nameof(options));
        }
    }
}
