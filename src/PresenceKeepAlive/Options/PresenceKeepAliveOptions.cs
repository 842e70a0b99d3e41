using Azure.Core;

namespace PresenceKeepAlive;

/// <summary>
/// Settings for setting and keeping presence alive. Bound from the <c>PresenceKeepAlive</c> configuration
/// section by <c>AddPresenceSession</c>; validated when the host starts.
/// </summary>
/// <remarks>
/// In configuration, every duration (<see cref="SessionTimeout"/>, <see cref="Lease"/>, <see cref="RefreshInterval"/>, …)
/// is written either as <see cref="TimeSpan"/> text (<c>00:05:00</c>) or as an ISO 8601 duration (<c>PT5M</c>, as Graph
/// writes <c>expirationDuration</c>). Time is read from the <see cref="TimeProvider"/> registered in the service collection
/// (<see cref="TimeProvider.System"/> unless the application registers another, such as a <c>FakeTimeProvider</c> in tests):
/// refreshes, retry delays, timeouts and the rate budget all follow it.
/// </remarks>
public sealed class PresenceKeepAliveOptions
{
    /// <summary>The default configuration section name, <c>PresenceKeepAlive</c>.</summary>
    public const string SectionName = "PresenceKeepAlive";

    /// <summary>The Graph v1.0 base URL, <c>https://graph.microsoft.com/v1.0</c>.</summary>
    public const string GraphV1BaseUrl = "https://graph.microsoft.com/v1.0";

    /// <summary>Gets or sets the Microsoft Entra tenant (directory) id.</summary>
    /// <value>The default value is <see langword="null"/>. Required for client secret and certificate credentials.</value>
    public string? TenantId { get; set; }

    /// <summary>
    /// Gets or sets the application (client) id. It is also the <c>sessionId</c> sent to <c>setPresence</c>:
    /// Graph requires the session id to be the calling application's id.
    /// </summary>
    /// <value>The default value is <see langword="null"/>. Required.</value>
    public string? ClientId { get; set; }

    /// <summary>Gets or sets the client secret of the app registration. Never logged.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ClientSecret { get; set; }

    /// <summary>Gets or sets the path of a certificate file (PFX/PKCS#12 or PEM with its key) for certificate credentials.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? CertificatePath { get; set; }

    /// <summary>Gets or sets the password of <see cref="CertificatePath"/>, if it has one. Never logged.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? CertificatePassword { get; set; }

    /// <summary>Gets or sets the thumbprint of a certificate in the current user's or local machine's personal store.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? CertificateThumbprint { get; set; }

    /// <summary>Gets or sets a value indicating whether to authenticate with the host's managed identity.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool UseManagedIdentity { get; set; }

    /// <summary>Gets or sets the client id of a user-assigned managed identity; leave empty for the system-assigned one.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>
    /// Gets or sets a credential to use instead of the settings above. When neither this nor any credential setting is
    /// given, a <see cref="TokenCredential"/> registered in the service collection is used. Set in code, it is used for
    /// every <see cref="BaseUrl"/>, a loopback one included.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public TokenCredential? Credential { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a loopback <see cref="BaseUrl"/> (a local emulator) still uses the credential
    /// settings (<see cref="ClientSecret"/>, the certificate settings, <see cref="UseManagedIdentity"/>) or a
    /// <see cref="TokenCredential"/> registered in the service collection. By default it does not: pointing
    /// <see cref="BaseUrl"/> at the emulator (for example with <c>--PresenceKeepAlive:BaseUrl=http://127.0.0.1:5080/v1.0</c>)
    /// is enough, whatever secrets the rest of the configuration holds, and they are never sent to it.
    /// Set this for a loopback proxy in front of the real Graph. <see cref="Credential"/>, set in code, is always used.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: a loopback <see cref="BaseUrl"/> gets a development token.</value>
    public bool UseConfiguredCredentialOnLoopback { get; set; }

    /// <summary>
    /// Gets or sets the Graph base URL, ending in its version segment: <c>/v1.0</c> (or <c>/beta</c>), for example
    /// <c>https://graph.microsoft.com/v1.0</c> or, for the local emulator, <c>http://127.0.0.1:5080/v1.0</c>. HTTPS is
    /// required except for <c>localhost</c>, <c>127.0.0.1</c> and <c>[::1]</c>. When it points at a loopback address, a
    /// development token is sent instead of the configured credential, unless <see cref="Credential"/> is set in code or
    /// <see cref="UseConfiguredCredentialOnLoopback"/> is set.
    /// </summary>
    /// <value>The default value is <c>https://graph.microsoft.com/v1.0</c>.</value>
    public string BaseUrl { get; set; } = GraphV1BaseUrl;

    /// <summary>Gets or sets the wire protocol.</summary>
    /// <value>The default value is <see cref="PresenceProtocol.SetPresence"/>.</value>
    public PresenceProtocol Protocol { get; set; } = PresenceProtocol.SetPresence;

    /// <summary>
    /// Gets or sets the service's inactivity timeout: a session not refreshed for this long starts to fade.
    /// Graph's is 5 minutes; set it lower only for emulators and tests.
    /// </summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets the longest time between two refreshes of a session whose state times out. When it is not set, each
    /// refresh is due <see cref="RefreshMargin"/> before the session's deadline, the fewest requests the service's
    /// rules allow. Set it only to refresh more often than that; it must be shorter than <see cref="SessionTimeout"/>.
    /// </summary>
    /// <remarks>
    /// A session's deadline is when the service would fade or end it: its last accepted request plus
    /// <see cref="SessionTimeout"/> for <c>Available</c> (every state with <see cref="AllStatesTimeOut"/> or the
    /// <see cref="PresenceProtocol.Patch"/> protocol), and plus <see cref="Lease"/> for every state. Sessions are spread
    /// evenly over the interval by a phase of their own, so those started together do not refresh together.
    /// </remarks>
    /// <value>The default value is <see langword="null"/>: 4 minutes 35 seconds for an <c>Available</c> session at the defaults.</value>
    public TimeSpan? RefreshInterval { get; set; }

    /// <summary>
    /// Gets or sets how long before a session's deadline its refresh is due: the time left for latency and a few
    /// retries before the state fades. A throttling hold never delays a refresh past this point.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: one twelfth of <see cref="SessionTimeout"/>, 25 seconds at the defaults.</value>
    public TimeSpan? RefreshMargin { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether every state is treated as timing out after <see cref="SessionTimeout"/>,
    /// not only <c>Available</c>. Graph documents the inactivity timeout for <c>Available</c> only, so by default Busy,
    /// Do not disturb and Away sessions are refreshed only before their <see cref="Lease"/> ends; set this for the
    /// conservative behaviour (every session refreshed within <see cref="SessionTimeout"/>). The
    /// <see cref="PresenceProtocol.Patch"/> protocol has no lease, so there every state times out whatever this says.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllStatesTimeOut { get; set; }

    /// <summary>
    /// Gets or sets the most presence requests in flight at once. Hanging requests hold their place until
    /// <see cref="AttemptTimeout"/> releases it, so the default is large enough that the rate budget, not this bound,
    /// limits how fast requests go even while some users' requests hang.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: the rate budget's requests per second times
    /// <see cref="TotalRequestTimeout"/> (3,000 at the defaults), at least 16.
    /// </value>
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>
    /// Gets or sets the lease sent as <c>expirationDuration</c> (PT5M to PT4H): how long a user keeps the state if this
    /// process stops refreshing it (for example after a crash). Separate from <see cref="SessionTimeout"/>: the
    /// inactivity fade happens whatever the lease.
    /// </summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets how many requests the app may send per <see cref="RateLimitWindow"/> (Graph's presence limit per app per tenant).</summary>
    /// <value>The default value is 1,500.</value>
    public int RateLimitPerWindow { get; set; } = 1500;

    /// <summary>Gets or sets the window of <see cref="RateLimitPerWindow"/>.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how many requests one application (client id) may send per <see cref="GlobalRateLimitWindow"/> across
    /// every tenant and registration of this process: Graph's global cap per app, shared by all of the app's tenants on
    /// top of each tenant's <see cref="RateLimitPerWindow"/>. Registrations of one client id share one cap (the first
    /// registration's values set it).
    /// </summary>
    /// <value>The default value is 130,000.</value>
    public int GlobalRateLimitPerWindow { get; set; } = 130_000;

    /// <summary>Gets or sets the window of <see cref="GlobalRateLimitPerWindow"/>.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan GlobalRateLimitWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets the app registrations of a pool: several app registrations for one tenant, each user kept by exactly one of
    /// them (chosen by rendezvous hashing of the user id and the client id, so a restart assigns the same way and adding
    /// or removing an app moves only its share of users). Each app has its own rate budget, so the capacity is the sum.
    /// Only for named registrations (<c>AddPresenceSession(name, …)</c>); when empty, the registration's own
    /// <see cref="ClientId"/> and credential settings are its one app.
    /// </summary>
    /// <value>The default value is an empty list.</value>
    public IList<PresenceAppRegistration> Apps { get; } = new List<PresenceAppRegistration>();

    /// <summary>
    /// Gets or sets how many times a transiently failed HTTP request (408, 5xx, network error, attempt timeout) is retried
    /// within one send. Each retry takes its own place in the rate budget at the moment it leaves; when the budget has
    /// none, or every session's requests are failing, the send ends and the session retries through the scheduler
    /// instead. A 429 is never retried within a send: the session and the scheduler handle throttling.
    /// </summary>
    /// <value>The default value is 3.</value>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Gets or sets the first retry delay; later ones grow exponentially with jitter, unless Graph sends <c>Retry-After</c>, which is honoured exactly.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets the longest delay between retries within one send. A <c>Retry-After</c> longer than this (or longer
    /// than what is left of <see cref="TotalRequestTimeout"/>) is not waited for inside the send: the failure goes back
    /// to the session, which retries after it, and every session's sends are held until then.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the timeout of one HTTP attempt.</summary>
    /// <value>The default value is 20 seconds.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Gets or sets the cap on one send, all attempts and delays included.</summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan TotalRequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets the sessions the hosted service sets when the host starts and keeps alive until it stops.</summary>
    /// <value>The default value is an empty list.</value>
    public IList<PresenceSessionSettings> Sessions { get; } = new List<PresenceSessionSettings>();

    /// <summary>Gets or sets a value indicating whether the hosted service signs every session off when the host stops.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool SignOffOnStop { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether disposing a session signs it off.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool SignOffOnDispose { get; set; } = true;

    /// <summary>Gets read-back: reading what others see for each kept session, and reporting when it differs. Off by default.</summary>
    /// <value>The default value is read-back off (<see cref="PresenceReadBackOptions.Enabled"/> is <see langword="false"/>).</value>
    public PresenceReadBackOptions ReadBack { get; } = new();
}
