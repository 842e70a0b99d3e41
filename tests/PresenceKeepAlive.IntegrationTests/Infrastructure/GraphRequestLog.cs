using System.Collections.Concurrent;

namespace PresenceKeepAlive.IntegrationTests.Infrastructure;

/// <summary>One HTTP exchange the library's Graph client made, as seen by <see cref="RecordingHandler"/>.</summary>
internal sealed record GraphExchange(string Method, string Path, int? StatusCode);

/// <summary>The HTTP exchanges of one test's library instance, in completion order.</summary>
internal sealed class GraphRequestLog
{
    private readonly ConcurrentQueue<GraphExchange> _exchanges = new();

    public IReadOnlyList<GraphExchange> Exchanges => _exchanges.ToArray();

    public void Add(GraphExchange exchange) => _exchanges.Enqueue(exchange);

    /// <summary>Counts the exchanges for <paramref name="userId"/> whose path ends with <paramref name="operationSuffix"/>.</summary>
    public int Count(string userId, string operationSuffix) =>
        _exchanges.Count(e =>
            e.Path.Contains("/users/" + userId + "/", StringComparison.OrdinalIgnoreCase) &&
            e.Path.EndsWith(operationSuffix, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Records every request of the library's named HttpClient (added with <c>AddHttpMessageHandler</c>).</summary>
internal sealed class RecordingHandler : DelegatingHandler
{
    private readonly GraphRequestLog _log;

    public RecordingHandler(GraphRequestLog log) => _log = log;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var method = request.Method.Method;
        var path = request.RequestUri?.AbsolutePath ?? string.Empty;
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            _log.Add(new GraphExchange(method, path, (int)response.StatusCode));
            return response;
        }
        catch (Exception)
        {
            _log.Add(new GraphExchange(method, path, null));
            throw;
        }
    }
}
