using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using PresenceKeepAlive.Protocol.Internal;
using RichardSzalay.MockHttp;

namespace PresenceKeepAlive.Tests.Diagnostics;

public class SecretRedactionTests
{
    private const string Token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.token-value-that-must-not-leak";
    private const string Secret = "client-secret-that-must-not-leak";

    [Test]
    public async Task Logs_AtTraceLevelThroughTheWholePipeline_NeverContainTokenSecretOrAuthorizationValue()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, "https://graph.microsoft.com/v1.0/users/adele%40contoso.com/presence/setPresence")
            .Respond(HttpStatusCode.OK);
        mock.When(HttpMethod.Post, "https://graph.microsoft.com/v1.0/users/alex%40contoso.com/presence/setPresence")
            .Respond(HttpStatusCode.Forbidden, "application/json",
                "{\"error\":{\"code\":\"Forbidden\",\"message\":\"\",\"innerError\":{\"request-id\":\"r-1\",\"client-request-id\":\"c-1\"}}}");
        using var loggers = new FakeLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(loggers).SetMinimumLevel(LogLevel.Trace));
        services.AddPresenceSession(o =>
            {
                o.ClientId = "11111111-2222-3333-4444-555555555555";
                o.TenantId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
                o.ClientSecret = Secret;
                o.Credential = new FixedTokenCredential(Token);
            })
            .HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => mock);
        await using var provider = services.BuildServiceProvider();
        var protocol = provider.GetRequiredService<IPresenceProtocol>();

        await protocol.SetPresenceAsync("adele@contoso.com", PresenceState.BusyInACall, CancellationToken.None);
        var failure = await Assert.ThrowsAsync<PresenceRequestException>(
            () => protocol.SetPresenceAsync("alex@contoso.com", PresenceState.Available, CancellationToken.None));

        var records = loggers.Collector.GetSnapshot();
        var text = string.Join('\n', records.Select(r => r.Message + " " + r.Exception));
        Assert.Multiple(() =>
        {
            // The run must have logged the request itself, or the assertions below prove nothing.
            Assert.That(records, Has.Some.Matches<FakeLogRecord>(r => r?.Message?.Contains("setPresence", StringComparison.Ordinal) == true));
            Assert.That(text, Does.Not.Contain("token-value-that-must-not-leak"));
            Assert.That(text, Does.Not.Contain(Secret));
            Assert.That(text, Does.Not.Contain("Bearer "));
            Assert.That(failure!.Message, Does.Not.Contain("token-value-that-must-not-leak"));
            Assert.That(failure.Message, Does.Contain("Presence.ReadWrite.All"));
        });
    }

    [Test]
    public async Task StructuredLogState_HttpClientCategoriesAtTrace_NeverCarriesTheBearerToken()
    {
        // Microsoft.Extensions.Http's "Request Headers" records show "Authorization: *" in their message but carried
        // the raw header values in their structured state, which structured providers (OpenTelemetry, Serilog) export.
        using var mock = new MockHttpMessageHandler();
        var withToken = mock.When("*").With(r => r.Headers.Authorization?.ToString() == "Bearer " + Token).Respond(HttpStatusCode.OK);
        using var capture = new StateCapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Trace));
        services.AddPresenceSession(o =>
            {
                o.ClientId = "11111111-2222-3333-4444-555555555555";
                o.TenantId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
                o.Credential = new FixedTokenCredential(Token);
            })
            .HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => mock);
        await using var provider = services.BuildServiceProvider();
        var httpCategory = "System.Net.Http.HttpClient." + PresenceKeepAlive.Http.Internal.PresenceHttpClient.Name + ".ClientHandler";

        await provider.GetRequiredService<IPresenceProtocol>().SetPresenceAsync("adele@contoso.com", PresenceState.BusyInACall, CancellationToken.None);

        var texts = capture.Texts;
        Assert.Multiple(() =>
        {
            // The capture sees the HttpClient categories at Trace, and the request was made with the token.
            Assert.That(provider.GetRequiredService<ILoggerFactory>().CreateLogger(httpCategory).IsEnabled(LogLevel.Trace), Is.True);
            Assert.That(mock.GetMatchCount(withToken), Is.EqualTo(1), "the request carried the bearer token");
            Assert.That(texts, Has.Some.Contain("setPresence"), "the protocol's own log of the send was captured");
            Assert.That(texts, Has.None.Contain("token-value-that-must-not-leak"));
            Assert.That(texts, Has.None.Contain("Bearer"));
        });
    }

    /// <summary>Records every message, every structured state key and value, and every scope's state, as text.</summary>
    private sealed class StateCapturingLoggerProvider : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _texts = new();

        public IReadOnlyList<string> Texts => [.. _texts];

        public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, _texts);

        public void Dispose()
        {
        }

        private sealed class Capturing(string category, System.Collections.Concurrent.ConcurrentQueue<string> texts) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull
            {
                Record("scope", state);
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                texts.Enqueue($"{category}[{eventId.Id}] message: {formatter(state, exception)} {exception}");
                Record($"{category}[{eventId.Id}] state", state);
            }

            private void Record(string where, object? state)
            {
                texts.Enqueue($"{where}: {Flatten(state)}");
                if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, value) in pairs)
                    {
                        texts.Enqueue($"{where} {key} = {Flatten(value)}");
                    }
                }
            }

            private static string Flatten(object? value) => value switch
            {
                null => string.Empty,
                string s => s,
                IEnumerable<KeyValuePair<string, object?>> pairs => string.Join("; ", pairs.Select(p => p.Key + "=" + Flatten(p.Value))),
                IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers => string.Join("; ", headers.Select(h => h.Key + "=" + string.Join(",", h.Value))),
                System.Collections.IEnumerable items => string.Join(",", items.Cast<object?>().Select(Flatten)),
                _ => value.ToString() ?? string.Empty,
            };
        }
    }
}
