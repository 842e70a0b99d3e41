using System.Collections.Concurrent;
using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>
/// <see cref="IPresenceSessionManagerProvider"/>: builds each named registration's <see cref="PresenceAppPool"/> on first
/// use from its named options, and owns it. One per container.
/// </summary>
internal sealed class PresenceRegistry : IPresenceSessionManagerProvider, IAsyncDisposable, IDisposable
{
    private readonly IServiceProvider _services;
    private readonly PresenceRegistrationNames _names;
    private readonly bool _unnamed;
    private readonly ConcurrentDictionary<string, Lazy<PresenceAppPool>> _pools = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (RequestGate Gate, PresenceKeepAliveMetrics Metrics)> _handlerServices = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IAsyncPolicy<HttpResponseMessage>> _policies = new(StringComparer.Ordinal);
    private int _disposed;

    public PresenceRegistry(IServiceProvider services, PresenceRegistrationNames names, PresenceKeepAliveMetrics metrics, bool unnamed)
    {
        _services = services;
        _names = names;
        _unnamed = unnamed;
        Metrics = metrics;
        RegistrationMetrics.Create(metrics.Meter, this);
    }

    public IReadOnlyCollection<string> Names => _unnamed ? [Microsoft.Extensions.Options.Options.DefaultName, .. _names.Names] : [.. _names.Names];

    /// <summary>Gets the named registrations' names, in the order they were added.</summary>
    public IReadOnlyList<string> NamedRegistrations => _names.Names;

    /// <summary>Gets the pools built so far.</summary>
    public IEnumerable<PresenceAppPool> Pools => _pools.Values.Where(l => l.IsValueCreated).Select(l => l.Value);

    internal PresenceKeepAliveMetrics Metrics { get; }

    public IPresenceSessionManager GetManager(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Length == 0 && _unnamed ? _services.GetRequiredService<IPresenceSessionManager>() : GetPool(name);
    }

    /// <summary>Returns the pool of the named registration <paramref name="name"/>, building it on first use.</summary>
    /// <exception cref="KeyNotFoundException">No named registration has that name.</exception>
    public PresenceAppPool GetPool(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_names.Contains(name))
        {
            var known = Names.Select(n => n.Length == 0 ? "'' (the unnamed AddPresenceSession)" : $"'{n}'").ToList();
            throw new KeyNotFoundException(
                $"No presence registration is named '{name}'. " +
                (known.Count == 0 ? "None is registered: call AddPresenceSession(name, …) or AddPresenceRegistrations(…)." : $"Registered: {string.Join(", ", known)}."));
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _pools.GetOrAdd(name, n => new Lazy<PresenceAppPool>(() => Build(n))).Value;
    }

    /// <summary>Gets the gate and instruments of the attempt handler of registration <paramref name="name"/>'s client.</summary>
    internal (RequestGate Gate, PresenceKeepAliveMetrics Metrics) HandlerServicesFor(string name) =>
        _handlerServices.TryGetValue(name, out var found)
            ? found
            : throw new InvalidOperationException($"The HTTP client of presence registration '{name}' is used before the registration was built: take it from IPresenceSessionManagerProvider.");

    /// <summary>Gets the retry policy of registration <paramref name="name"/>'s client, from its options.</summary>
    internal IAsyncPolicy<HttpResponseMessage> PolicyFor(string name) =>
        _policies.GetOrAdd(name, n => PresenceResiliencePipeline.Create(
            OptionsFor(n),
            _services.GetRequiredService<TimeProvider>(),
            _services.GetRequiredService<ILogger<PresenceHttpPolicy>>()).AsAsyncPolicy());

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Task.WhenAll(Pools.Select(p => p.DisposeAsync().AsTask())).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var pool in Pools)
        {
            pool.Dispose();
        }
    }

    private PresenceKeepAliveOptions OptionsFor(string name) =>
        _services.GetRequiredService<IOptionsMonitor<PresenceKeepAliveOptions>>().Get(name);

    private static string Describe(string name) => name.Length == 0 ? "the unnamed AddPresenceSession registration" : $"registration '{name}'";

    private static IEnumerable<string> ClientIdsOf(PresenceKeepAliveOptions options) =>
        options.Apps.Count > 0
            ? options.Apps.Where(a => !string.IsNullOrWhiteSpace(a?.ClientId)).Select(a => a.ClientId!)
            : string.IsNullOrWhiteSpace(options.ClientId) ? [] : [options.ClientId];

    /// <summary>
    /// Refuses a registration that shares an (app, tenant) or a configured user with another registration of the
    /// process: Graph gives each (app, tenant) one budget, and two registrations would each spend all of it (twice the
    /// budget: 429s); a user configured twice would be kept alive by two sessions.
    /// </summary>
    /// <exception cref="OptionsValidationException">The registration overlaps another one.</exception>
    private void CheckOverlaps(string name, PresenceKeepAliveOptions options)
    {
        var others = _names.Names.Where(n => !string.Equals(n, name, StringComparison.Ordinal)).ToList();
        if (_unnamed)
        {
            others.Insert(0, Microsoft.Extensions.Options.Options.DefaultName);
        }

        var failures = new List<string>();
        var clientIds = ClientIdsOf(options).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var users = options.Sessions.Where(s => !string.IsNullOrWhiteSpace(s?.UserId)).Select(s => s.UserId!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var other in others)
        {
            PresenceKeepAliveOptions theirs;
            try
            {
                theirs = OptionsFor(other);
            }
            catch (OptionsValidationException)
            {
                // Refused on its own (when it is built or started): its own messages say why.
                continue;
            }

            if (!string.Equals(theirs.TenantId ?? string.Empty, options.TenantId ?? string.Empty, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var tenant = string.IsNullOrEmpty(options.TenantId) ? "(no TenantId)" : options.TenantId;
            foreach (var clientId in ClientIdsOf(theirs).Where(clientIds.Contains))
            {
                failures.Add(
                    $"Registration '{name}': app {clientId} in tenant {tenant} is also in {Describe(other)}: Graph gives each app one rate budget per tenant, " +
                    "and two registrations would each spend all of it (twice the budget: 429s). Keep one registration per tenant and list its apps under Apps, " +
                    "or use another app registration.");
            }

            foreach (var userId in theirs.Sessions.Where(s => !string.IsNullOrWhiteSpace(s?.UserId)).Select(s => s.UserId!).Where(users.Contains))
            {
                failures.Add(
                    $"Registration '{name}': user {userId} is also configured in {Describe(other)} of tenant {tenant}: it would be kept alive by two sessions. " +
                    "Configure each user of a tenant in one registration.");
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(name, typeof(PresenceKeepAliveOptions), failures);
        }
    }

    private PresenceAppPool Build(string name)
    {
        // Validated here too (IOptionsMonitor.Get runs the validator), with messages naming the registration.
        var options = OptionsFor(name);
        CheckOverlaps(name, options);
        var factory = _services.GetRequiredService<IHttpClientFactory>();
        var clientName = PresenceHttpClient.NameFor(name);
        var loggerFactory = _services.GetRequiredService<ILoggerFactory>();
        var context = new RegistrationContext
        {
            Name = name,
            Options = options,
            TimeProvider = _services.GetRequiredService<TimeProvider>(),
            GlobalGates = _services.GetRequiredService<GlobalAppGates>(),
            CreateHttpClient = () => factory.CreateClient(clientName),
            LoggerFactory = loggerFactory,
            Metrics = Metrics,
            RegisteredCredential = _services.GetService<TokenCredential>(),
        };

        IReadOnlyList<PresenceAppRegistration> apps = options.Apps.Count > 0
            ? [.. options.Apps]
            : [new PresenceAppRegistration { ClientId = options.ClientId }];

        // The first app's gate is also the client's gate for requests outside any session; it must exist before the client.
        var firstGate = context.CreateGate(apps[0].ClientId!);
        _handlerServices[name] = (firstGate, Metrics.WithTags(context.Tags));
        var slots = new List<AppSlot>(apps.Count);
        for (var i = 0; i < apps.Count; i++)
        {
            slots.Add(context.CreateSlot(apps[i], i == 0 ? firstGate : null));
        }

        var scope = new RegistrationLogScope(name, options.TenantId, apps[0].ClientId!);
        return new PresenceAppPool(context, slots, new RegistrationLogger<PresenceAppPool>(loggerFactory.CreateLogger<PresenceAppPool>(), scope));
    }
}
