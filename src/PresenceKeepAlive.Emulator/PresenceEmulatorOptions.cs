using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Emulator;

/// <summary>Options of a <see cref="PresenceEmulator"/>.</summary>
public sealed class PresenceEmulatorOptions
{
    /// <summary>Gets or sets the address to listen on: an IP address or <c>localhost</c>.</summary>
    /// <value>The default value is <c>127.0.0.1</c>. Anything but a loopback address needs <see cref="AllowNonLoopback"/>.</value>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Gets or sets the TCP port.</summary>
    /// <value>The default value is 0: a free port is chosen; read it from <see cref="PresenceEmulator.BaseAddress"/>.</value>
    public int Port { get; set; }

    /// <summary>Gets or sets whether <see cref="Host"/> may be a non-loopback address.</summary>
    /// <value>The default value is <see langword="false"/>: the emulator has no real security and stays on loopback.</value>
    public bool AllowNonLoopback { get; set; }

    /// <summary>Gets or sets the clock. Emulated time is derived from it; tests pass a <c>FakeTimeProvider</c>.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Gets or sets emulated seconds per real second: 60 makes one emulated minute last one real second.
    /// Emulated now is the start time plus the elapsed <see cref="TimeProvider"/> time times this scale.
    /// </summary>
    /// <value>The default value is 1.0.</value>
    public double TimeScale { get; set; } = 1.0;

    /// <summary>Gets or sets the inactivity timeout, in emulated time, after which an unrefreshed session fades.</summary>
    /// <value>The default value is 5 minutes, as in Microsoft Graph.</value>
    public TimeSpan InactivityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets which presence semantics to model.</summary>
    /// <value>The default value is <see cref="PresenceEmulatorMode.Graph"/>.</value>
    public PresenceEmulatorMode Mode { get; set; } = PresenceEmulatorMode.Graph;

    /// <summary>Gets or sets whether Graph requests need an <c>Authorization: Bearer</c> header (any non-empty token).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool RequireBearerToken { get; set; } = true;

    /// <summary>Gets or sets whether requests are throttled per app and tenant (429 with <c>Retry-After</c>); the tenant is the token's <c>tid</c> claim.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ThrottlingEnabled { get; set; } = true;

    /// <summary>Gets or sets how many requests an app may send per <see cref="ThrottleWindow"/> in each tenant (a token bucket of this size per app and tenant, refilled evenly over the window).</summary>
    /// <value>The default value is 1500, Graph's documented presence limit per app per tenant.</value>
    public int ThrottleLimit { get; set; } = 1500;

    /// <summary>Gets or sets the throttling window, in emulated time.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan ThrottleWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many presence changes are kept per user; older ones are dropped.</summary>
    /// <value>The default value is 1000.</value>
    public int MaxHistoryPerUser { get; set; } = 1000;

    /// <summary>Gets or sets the minimum level of the emulator's console log (ASP.NET Core and Kestrel categories included).</summary>
    /// <value>The default value is <see cref="LogLevel.Warning"/>; <see cref="LogLevel.None"/> turns the log off.</value>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Warning;

    /// <summary>Gets or sets the seed of the random numbers used by <see cref="FaultRule.Probability"/>, for reproducible runs.</summary>
    /// <value>The default value is <see langword="null"/>: a shared, unseeded generator.</value>
    public int? RandomSeed { get; set; }

    /// <summary>A copy, so changes the caller makes after start cannot half-apply to a running emulator.</summary>
    internal PresenceEmulatorOptions Clone() => (PresenceEmulatorOptions)MemberwiseClone();
}
