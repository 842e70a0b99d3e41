using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;

namespace PresenceKeepAlive.Emulator.Tests.Infrastructure;

/// <summary>Adds a fixed fake bearer token, as a real credential would add a real one.</summary>
internal sealed class FixedTokenAuthenticationProvider(string token) : IAuthenticationProvider
{
    public Task AuthenticateRequestAsync(RequestInformation request, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default)
    {
        request.Headers.Add("Authorization", "Bearer " + token);
        return Task.CompletedTask;
    }
}
