using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Http.Internal;

namespace PresenceKeepAlive.Hosting.Internal;

/// <summary>
/// Sets the configured sessions when the host starts, without waiting for Graph (failures go to each session's
/// retries), and signs every session off when the host stops, within the host's shutdown timeout.
/// </summary>
internal sealed class PresenceKeepAliveHostedService : IHostedService
{
    private readonly IServiceProvider _services;
    private readonly IOptions<PresenceKeepAliveOptions> _optionsAccessor;
    private readonly ILogger<PresenceKeepAliveHostedService> _logger;
    private IPresenceSessionManager? _manager;

    // The manager and options are resolved in StartAsync, not here: the host constructs hosted services before it
    // runs options validation, and validation must be what reports a bad configuration.
    public PresenceKeepAliveHostedService(
        IServiceProvider services,
        IOptions<PresenceKeepAliveOptions> options,
        ILogger<PresenceKeepAliveHostedService> logger)
    {
        _services = services;
        _optionsAccessor = options;
        _logger = logger;
    }

    private PresenceKeepAliveOptions Options => _optionsAccessor.Value;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _manager = _services.GetRequiredService<IPresenceSessionManager>();
        LogIgnoredCredential();
        foreach (var settings in Options.Sessions)
        {
            // The options validator has already checked every id and pair.
            var state = PresenceState.Parse(settings.Availability, settings.Activity, Options.Protocol);
            var session = _manager.GetOrCreate(settings.UserId);
            _ = SetInBackgroundAsync(session, state);
        }

        Log.HostStarted(_logger, Options.Sessions.Count);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!Options.SignOffOnStop || _manager is null)
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

    private void LogIgnoredCredential()
    {
        var options = Options;
        if (options.Credential is not null || options.UseConfiguredCredentialOnLoopback || !PresenceCredentialFactory.IsLoopback(options.BaseUrl))
        {
            return;
        }

        var ignored = new List<string>(4);
        if (!string.IsNullOrEmpty(options.ClientSecret))
        {
            ignored.Add("ClientSecret");
        }

        if (!string.IsNullOrEmpty(options.CertificatePath) || !string.IsNullOrEmpty(options.CertificateThumbprint))
        {
            ignored.Add("certificate");
        }

        if (options.UseManagedIdentity)
        {
            ignored.Add("managed identity");
        }

        if (_services.GetService<TokenCredential>() is not null)
        {
            ignored.Add("TokenCredential registered in the service collection");
        }

        if (ignored.Count > 0)
        {
            Log.LoopbackDevelopmentToken(_logger, options.BaseUrl, string.Join(", ", ignored));
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
            Log.StartSetDeferred(_logger, session.UserId, state.ToString(), ex.Message);
        }
        catch (PresenceRequestException)
        {
            // The session has logged it at Error (event 105) and shows it in its status: once is enough.
            Log.StartSetRefused(_logger, session.UserId, state.ToString());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Permanent failures are also visible in the session's status; the host keeps running.
            Log.StartSetFailed(_logger, session.UserId, state.ToString(), ex);
        }
    }
}
