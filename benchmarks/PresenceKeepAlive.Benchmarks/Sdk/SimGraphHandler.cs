using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using PresenceKeepAlive.Benchmarks.Scale;

namespace PresenceKeepAlive.Benchmarks.Sdk;

/// <summary>
/// <see cref="SimGraph"/> behind HTTP: the primary handler of the real SDK pipeline in the <c>scale-sdk</c> mode.
/// Reads the user id from <c>/users/{id}/presence/setPresence|clearPresence</c> and the state from the body, and answers
/// as <see cref="SimGraph.Decide"/> says: 200; 429 <c>TooManyRequests</c> with <c>Retry-After</c> and a Graph-shaped
/// error body; 503 with a Graph-shaped body; or never (until the request is cancelled, e.g. by Polly's attempt timeout).
/// </summary>
internal sealed class SimGraphHandler(SimGraph graph) : HttpMessageHandler
{
    private const string ThrottledBody = """{"error":{"code":"TooManyRequests","message":"Too many requests.","innerError":{"request-id":"00000000-0000-0000-0000-000000000000"}}}""";

    private const string UnavailableBody = """{"error":{"code":"ServiceUnavailable","message":"Service unavailable.","innerError":{"request-id":"00000000-0000-0000-0000-000000000000"}}}""";

    /// <summary>Gets the time spent inside this handler (the stand-in for the network and the service), in <see cref="Stopwatch"/> ticks.</summary>
    public long HandlerTicks { get; private set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var body = request.Content?.ReadAsStringAsync(cancellationToken).GetAwaiter().GetResult() ?? string.Empty;
            var path = request.RequestUri!.AbsolutePath;
            var users = path.IndexOf("/users/", StringComparison.Ordinal) + "/users/".Length;
            var end = path.IndexOf('/', users);
            var userId = Uri.UnescapeDataString(path[users..end]);
            var clear = path.EndsWith("/clearPresence", StringComparison.Ordinal);
            var state = clear ? null : StateOf(body);
            switch (graph.Decide(userId, state, clear, out var retryAfter))
            {
                case SimOutcome.Accepted:
                    return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request });
                case SimOutcome.Throttled:
                    var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests)
                    {
                        RequestMessage = request,
                        Content = new StringContent(ThrottledBody, Encoding.UTF8, "application/json"),
                    };
                    response.Headers.RetryAfter = new RetryConditionHeaderValue(retryAfter);
                    return Task.FromResult(response);
                case SimOutcome.Failed:
                    return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                    {
                        RequestMessage = request,
                        Content = new StringContent(UnavailableBody, Encoding.UTF8, "application/json"),
                    });
                default:
                    // No answer: only the caller's cancellation (Polly's attempt timeout) ends it.
                    var never = new TaskCompletionSource<HttpResponseMessage>();
                    var registration = cancellationToken.Register(() => never.TrySetCanceled(cancellationToken));
                    _ = never.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    return never.Task;
            }
        }
        finally
        {
            HandlerTicks += Stopwatch.GetTimestamp() - started;
        }
    }

    // The state from a setPresence body ({"availability":"Busy","activity":"InACall",...}); enough for fading.
    private static PresenceState? StateOf(string body)
    {
        var availability = Field(body, "availability");
        var activity = Field(body, "activity");
        if (availability is null)
        {
            return null;
        }

        try
        {
            return PresenceState.Parse(availability, activity ?? availability);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string? Field(string body, string name)
    {
        var key = body.IndexOf("\"" + name + "\"", StringComparison.OrdinalIgnoreCase);
        if (key < 0)
        {
            return null;
        }

        var open = body.IndexOf('"', body.IndexOf(':', key) + 1);
        var close = open < 0 ? -1 : body.IndexOf('"', open + 1);
        return close < 0 ? null : body[(open + 1)..close];
    }
}
