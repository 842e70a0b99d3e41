using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;

namespace PresenceKeepAlive.Tests;

/// <summary>
/// A primary HTTP handler that answers like Graph's presence endpoints (or as told), records every request with its
/// JSON body, and lets a test wait for a number of requests without sleeping.
/// </summary>
internal sealed class RecordingGraphHandler : HttpMessageHandler
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly object _gate = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];

    /// <summary>Gets or sets how to answer; by default 200 with no body.</summary>
    public Func<RecordedRequest, HttpResponseMessage> Responder { get; set; } = _ => new HttpResponseMessage(HttpStatusCode.OK);

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    public int Count => _requests.Count;

    /// <summary>Completes when at least <paramref name="count"/> requests have arrived; fails after a generous real-time limit.</summary>
    public async Task WaitForRequestsAsync(int count, TimeSpan? limit = null)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            if (_requests.Count >= count)
            {
                return;
            }

            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
        }

        await signal.Task.WaitAsync(limit ?? TimeSpan.FromSeconds(20));
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var recorded = new RecordedRequest(
            request.Method,
            request.RequestUri!,
            request.Headers.Authorization?.ToString(),
            request.Content?.Headers.ContentType?.MediaType,
            string.IsNullOrEmpty(body) ? null : body);
        lock (_gate)
        {
            _requests.Enqueue(recorded);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_requests.Count >= _waiters[i].Count)
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }

        // Recorded first, so that a responder that throws (a network failure) still counts as a request.
        var response = Responder(recorded);
        response.RequestMessage = request;
        return response;
    }

    public static HttpResponseMessage GraphError(HttpStatusCode status, string code, string message = "") =>
        new(status)
        {
            Content = new StringContent(
                new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["code"] = code,
                        ["message"] = message,
                        ["innerError"] = new JsonObject
                        {
                            ["date"] = "2026-11-28T10:00:00",
                            ["request-id"] = $"req-{(int)status}",
                            ["client-request-id"] = $"client-{(int)status}",
                        },
                    },
                }.ToJsonString(),
                System.Text.Encoding.UTF8,
                "application/json"),
        };
}

/// <summary>One request as the primary handler saw it.</summary>
internal sealed record RecordedRequest(HttpMethod Method, Uri Uri, string? Authorization, string? ContentType, string? Body)
{
    /// <summary>Gets the body parsed as JSON, or <see langword="null"/> when there was none.</summary>
    public JsonNode? Json => Body is null ? null : JsonNode.Parse(Body);

    public string Path => Uri.AbsolutePath;

    public string? UserSegment => Uri.Segments.Length > 3 ? Uri.UnescapeDataString(Uri.Segments[3].TrimEnd('/')) : null;

    public string? Operation => Uri.Segments[^1];
}
