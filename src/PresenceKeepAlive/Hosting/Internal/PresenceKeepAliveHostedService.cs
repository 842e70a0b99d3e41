using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PresenceKeepAlive.Diagnostics.Internal;

namespace PresenceKeepAlive.Hosting.Internal;

/// <summary>
/// Sets the configured sessions when the host starts, without waiting for Graph (failures go to each session's
/// retries), and signs every session off when the host stops, within the host's shutdown timeout.
/// </summary>
internal sealed class PresenceKeepAliveHostedService : IHostedService
{
    private readonly IPresenceSessionManager _manager;
    private readonly PresenceKeepAliveOptions _options;
    private readonly ILogger<PresenceKeepAliveHostedService> _logger;

    public PresenceKeepAliveHostedService(
        IPresenceSessionManager manager,
        IOptions<PresenceKeepAliveOptions> options,
        ILogger<PresenceKeepAliveHostedService> logger)
    {
        _manager = manager;
        _options = options.Value;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var settings in _options.Sessions)
        {
            // The options validator has already checked every id and pair.
            var state = PresenceState.Parse(settings.Availability, settings.Activity, _options.Protocol);
            var session = _manager.GetOrCreate(settings.UserId);
            _ = SetInBackgroundAsync(session, state);
        }

        Log.HostStarted(_logger, _options.Sessions.Count);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_options.SignOffOnStop)
        {
            return;
        }

        PresenceSignOffResult result;
        try
        {
            result = await _manager.SignOffAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.SignOffAllFailed(_logger, ex);
            return;
        }

        foreach (var (userId, reason) in result.Failed)
        {
            Log.NotSignedOff(_logger, userId, reason.Message);
        }

        Log.HostStopped(_logger, result.SignedOff.Count, result.Failed.Count);
    }

    private async Task SetInBackgroundAsync(IPresenceSession session, PresenceState state)
    {
        try
        {
            await session.SetAsync(state).ConfigureAwait(false);
        }
        catch (PresenceRequestException ex) when (ex.IsTransient)
        {
            Log.StartSetDeferred(_logger, session.UserId, state.ToString(), ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Permanent failures are also visible in the session's status; the host keeps running.
            Log.StartSetFailed(_logger, session.UserId, state.ToString(), ex);
        }
    }
}
