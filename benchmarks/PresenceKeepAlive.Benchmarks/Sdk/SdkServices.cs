using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Benchmarks.Sdk;

/// <summary>
/// The library's real DI graph (<c>AddPresenceSession</c>: IHttpClientFactory, the Polly policy, Graph's default
/// handlers, <c>GraphServiceClient</c>) with an in-memory primary handler and a fixed-token credential, so that nothing
/// leaves the process.
/// </summary>
internal static class SdkServices
{
    public const string ClientId = "7d1f5c2e-4b6a-4c8e-9f3a-2b5d8e1c0a47";

    /// <summary>
    /// Builds the container; <paramref name="time"/> is registered as the <see cref="TimeProvider"/> Polly and the
    /// protocol use. A <see langword="null"/> <paramref name="primary"/> keeps the library's <c>SocketsHttpHandler</c>.
    /// </summary>
    public static ServiceProvider Build(Func<HttpMessageHandler>? primary, TimeProvider time, Action<PresenceKeepAliveOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(time);
        var builder = services.AddPresenceSession(o =>
        {
            o.ClientId = ClientId;
            o.Credential = new FixedTokenCredential();
            o.SignOffOnDispose = false;
            configure?.Invoke(o);
        });
        if (primary is not null)
        {
            builder.HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(primary);
        }

        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }
}
