namespace PresenceKeepAlive.TestingSample;

/// <summary>
/// The code under test: your own, which uses the library. This one mirrors a phone system's calls into Teams presence,
/// and reports to the phone system whether Graph refused it.
/// </summary>
public sealed class PhoneBridge(IPresenceSessionManager presence)
{
    /// <summary>Shows the user Busy / In a call.</summary>
    /// <param name="userId">The user's object id or user principal name.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns><see langword="true"/> when Graph accepted it, or will once it recovers; <see langword="false"/> when it refused it.</returns>
    public Task<bool> CallStartedAsync(string userId, CancellationToken cancellationToken = default) =>
        SetAsync(userId, PresenceState.BusyInACall, cancellationToken);

    /// <summary>Shows the user Available again.</summary>
    /// <param name="userId">The user's object id or user principal name.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns><see langword="true"/> when Graph accepted it, or will once it recovers; <see langword="false"/> when it refused it.</returns>
    public Task<bool> CallEndedAsync(string userId, CancellationToken cancellationToken = default) =>
        SetAsync(userId, PresenceState.Available, cancellationToken);

    private async Task<bool> SetAsync(string userId, PresenceState state, CancellationToken cancellationToken)
    {
        try
        {
            await presence.GetOrCreate(userId).SetAsync(state, cancellationToken);
            return true;
        }
        catch (PresenceRequestException ex) when (ex.IsTransient)
        {
            return true; // the session keeps the state and retries until Graph takes it
        }
        catch (PresenceRequestException)
        {
            return false;
        }
    }
}
