using System.Net;
using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Authentication.Azure;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// The named <see cref="HttpClient"/> that carries Graph requests, outermost first: the Polly policy (timeouts, and
/// retries of 408/5xx/network failures within a send), then Graph's default handlers without Kiota's
/// <see cref="RetryHandler"/> (two retry layers would multiply attempts), then any handler the application adds, then
/// <see cref="PresenceAttemptHandler"/> (every attempt passes the rate budget and is counted), then the primary handler.
/// </summary>
internal static class PresenceHttpClient
{
    /// <summary>The name of the client in <see cref="IHttpClientFactory"/>.</summary>
    public const string Name = "PresenceKeepAlive.Graph";

    /// <summary>The prefix of a named registration's client: <c>PresenceKeepAlive.Graph/</c> and the registration's name.</summary>
    public const string RegistrationPrefix = Name + "/";

    /// <summary>Returns the name of the client of the named registration <paramref name="registration"/>.</summary>
    public static string NameFor(string registration) => RegistrationPrefix + registration;

    private static readonly HashSet<string> PlainHttpHosts = new(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", "[::1]" };

    /// <summary>Configures the named client on <paramref name="builder"/>.</summary>
    /// <param name="builder">The builder of the client named <see cref="Name"/> (or <see cref="NameFor"/> a registration).</param>
    /// <param name="policy">The retry policy of this client; the unnamed registration's <see cref="PresenceHttpPolicy"/> when <see langword="null"/>.</param>
    /// <param name="primary">The primary handler of this client; a <see cref="SocketsHttpHandler"/> of its own when <see langword="null"/>.</param>
    public static void Configure(
        IHttpClientBuilder builder,
        Func<IServiceProvider, Polly.IAsyncPolicy<HttpResponseMessage>>? policy = null,
        Func<IServiceProvider, HttpMessageHandler>? primary = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Microsoft.Extensions.Http's default logger redacts header values in the formatted "Request Headers" message,
        // but its structured state still carries them, Authorization: Bearer <token> included, to any structured log
        // provider. The protocol logs every send (operation, user, status, request-id) without headers.
        builder.RemoveAllLoggers();

        // Added by a filter, after every other handler of this client, so that nothing re-sends past the gate.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHttpMessageHandlerBuilderFilter, PresenceAttemptHandlerFilter>());

        // Polly owns every timeout so that they all run on the injected TimeProvider.
        builder.ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan);
        builder.AddPolicyHandler((services, _) => policy is null ? services.GetRequiredService<PresenceHttpPolicy>().Policy : policy(services));
        builder.ConfigureAdditionalHttpMessageHandlers((handlers, _) =>
        {
            foreach (var handler in GraphClientFactory.CreateDefaultHandlers())
            {
                if (handler is RetryHandler)
                {
                    handler.Dispose();
                    continue;
                }

                handlers.Add(handler);
            }
        });
        if (primary is not null)
        {
            builder.ConfigurePrimaryHttpMessageHandler(primary);
            return;
        }

        builder.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.All,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        });
    }

    /// <summary>Creates the SDK client over <paramref name="httpClient"/>, sending a token only to the base URL's host.</summary>
    /// <exception cref="ArgumentException">The base URL is not absolute, or is not HTTPS and not on a loopback address.</exception>
    public static GraphServiceClient CreateGraphClient(HttpClient httpClient, TokenCredential credential, string baseUrl)
    {
        var uri = ValidateBaseUrl(baseUrl);
        var tokenProvider = new AzureIdentityAccessTokenProvider(
            credential,
            allowedHosts: [uri.Host],
            observabilityOptions: null,
            isCaeEnabled: false,
            scopes: [PresenceCredentialFactory.ScopeFor(uri)]);
        return new GraphServiceClient(httpClient, new BaseBearerTokenAuthenticationProvider(tokenProvider), baseUrl.TrimEnd('/'));
    }

    /// <summary>Returns why <paramref name="baseUrl"/> is not usable, or <see langword="null"/>.</summary>
    public static string? DescribeInvalidBaseUrl(string? baseUrl)
    {
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return $"BaseUrl '{baseUrl}' is not an absolute http(s) URL, for example {PresenceKeepAliveOptions.GraphV1BaseUrl}.";
        }

        // Kiota's token provider refuses plain http except for exactly these hosts (any other loopback address such as
        // 127.0.0.2 would pass a loopback check here and then fail every request with "Only https is supported").
        if (uri.Scheme != Uri.UriSchemeHttps && !PlainHttpHosts.Contains(uri.Host))
        {
            return $"BaseUrl '{baseUrl}' must use https: plain http is allowed only for localhost, 127.0.0.1 or [::1] (a local emulator).";
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return $"BaseUrl '{baseUrl}' must not have a query or fragment.";
        }

        return null;
    }

    private static Uri ValidateBaseUrl(string baseUrl)
    {
        var problem = DescribeInvalidBaseUrl(baseUrl);
        return problem is null ? new Uri(baseUrl) : throw new ArgumentException(problem, nameof(baseUrl));
    }
}
