using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Registrations.Internal;

namespace PresenceKeepAlive.Hosting.Internal;

/// <summary>
/// The hosted service of the named registrations: on start, builds every registration and sets its configured sessions
/// (without waiting for Graph); on stop, signs every registration's sessions off, all registrations in parallel and each
/// within its own apps' budgets, bounded by the host's shutdown token. With a front end registered (distributed mode) it
/// does neither: the front end sets the configured sessions, and a process leaving the cluster signs nobody off.
/// </summary>
internal sealed class PresenceRegistrationsHostedService(
    PresenceRegistry registry,
    IOptionsMonitor<PresenceKeepAliveOptions> options,
    ILogger<PresenceRegistrationsHostedService> logger,
    IPresenceFrontEnd? frontEnd = null) : IHostedService
{
    private readonly List<(PresenceAppPool Pool, PresenceKeepAliveOptions Options)> _started = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (frontEnd is not null)
        {
            return Task.CompletedTask;
        }

        var sessions = 0;
        foreach (var name in registry.NamedRegistrations)
        {
            // Options were validated on start (before hosted services start); a failure here is the registration's own.
            var registrationOptions = options.Get(name);
            var pool = registry.GetPool(name);
            _started.Add((pool, registrationOptions));
            try
            {
                var settings = pool.Slots[0].Manager.Settings;
                var states = registrationOptions.Sessions
                    .Select(s => (s.UserId, State: PresenceState.Parse(s.Availability, s.Activity, registrationOptions.Protocol)))
                    .ToList();
                pool.CheckCapacity(states.Select(s => settings.Lifetime(s.State)));
                foreach (var (userId, state) in states)
                {
                    _ = SetInBackgroundAsync(pool.GetOrCreate(userId), state);
                }

                sessions += states.Count;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.RegistrationStartFailed(logger, name, ex);
            }
        }

        Log.RegistrationsStarted(logger, _started.Count, sessions);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var stopping = _started.Where(s => s.Options.SignOffOnStop).Select(s => SignOffAsync(s.Pool, cancellationToken)).ToArray();
        var results = await Task.WhenAll(stopping).ConfigureAwait(false);
        Log.RegistrationsStopped(logger, results.Sum(r => r.SignedOff), results.Sum(r => r.Failed));
    }

    private async Task<(int SignedOff, int Failed)> SignOffAsync(PresenceAppPool pool, CancellationToken cancellationToken)
    {
        try
        {
            var result = await pool.SignOffAllAsync(cancellationToken).ConfigureAwait(false);
            foreach (var (userId, reason) in result.Failed)
            {
                Log.RegistrationNotSignedOff(logger, pool.Name, userId, reason.Message);
            }

            return (result.SignedOff.Count, result.Failed.Count);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.RegistrationSignOffFailed(logger, pool.Name, ex);
            return (0, pool.Count);
        }
    }

    private async Task SetInBackgroundAsync(IPresenceSession session, PresenceState state)
    {
        try
        {
            await session.SetAsync(state).ConfigureAwait(false);
        }
        catch (PresenceRequestException ex) when (ex.IsTransient)
        {
            Log.StartSetDeferred(logger, session.UserId, state.ToString(), ex.Message);
        }
        catch (PresenceRequestException)
        {
            Log.StartSetRefused(logger, session.UserId, state.ToString());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.StartSetFailed(logger, session.UserId, state.ToString(), ex);
        }
    }
}
