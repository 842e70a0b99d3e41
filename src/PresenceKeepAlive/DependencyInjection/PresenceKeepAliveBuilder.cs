using Microsoft.Extensions.DependencyInjection;

namespace PresenceKeepAlive;

/// <summary>Returned by <c>AddPresenceSession</c>, to configure the registration further.</summary>
public sealed class PresenceKeepAliveBuilder
{
    internal PresenceKeepAliveBuilder(IServiceCollection services, IHttpClientBuilder httpClientBuilder)
    {
        Services = services;
        HttpClientBuilder = httpClientBuilder;
    }

    /// <summary>Gets the service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Gets the builder of the named <see cref="HttpClient"/> that carries Graph requests, to add handlers
    /// (<c>AddHttpMessageHandler</c>) or replace the primary handler (<c>ConfigurePrimaryHttpMessageHandler</c>).
    /// </summary>
    public IHttpClientBuilder HttpClientBuilder { get; }
}
