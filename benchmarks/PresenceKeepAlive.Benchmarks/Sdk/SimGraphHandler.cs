using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using PresenceKeepAlive.Benchmarks.Scale;

namespace PresenceKeepAlive.Benchmarks.Sdk;

/// <summary>
/// <see cref="SimGraph"/> behind HTTP: the primary handler of the real SDK pipeline in the <c>scale-sdk</c> mode.
/// Reads the user id from <c>/users/{id}/presence/setPresence|clearPresence</c>, reads the body, and answers 200, or
/// 429 <c>TooManyRequests</c> with <c>Retry-After</c> and a Graph-shaped error body when over the limit. Answers at once.
/// </summary>
internal sealed class SimGraphHandler(SimGraph graph) : HttpMessageHandler
{
    private const string ThrottledBody = """{"error":{"code":"TooManyRequests","message":"Too many requests.","innerError":{"request-id":"00000000-0000-0000-0000-000000000000"}}}""";

    /// <summary>Gets the time spent inside this handler (the stand-in for the network and the service), in <see cref="Stopwatch"/> ticks.</summary>
    public long HandlerTicks { get; private set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            request.Content?.CopyTo(Stream.Null, null, cancellationToken);
            var path = request.RequestUri!.AbsolutePath;
            var users = path.IndexOf("/users/", StringComparison.Ordinal) + "/users/".Length;
            var end = path.IndexOf('/', users);
            var userId = Uri.UnescapeDataString(path[users..end]);
            var clear = path.EndsWith("/clearPresence", StringComparison.Ordinal);
            if (graph.TryAccept(userId, clear))
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request });
            }

            var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests)
            {
                RequestMessage = request,
                Content = new StringContent(ThrottledBody, Encoding.UTF8, "application/json"),
            };
            response.Headers.RetryAfter = new RetryConditionHeaderValue(SimGraph.RetryAfter);
            return Task.FromResult(response);
        }
        finally
        {
            HandlerTicks += Stopwatch.GetTimestamp() - started;
        }
    }
}
