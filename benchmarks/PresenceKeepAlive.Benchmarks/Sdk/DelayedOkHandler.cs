using System.Net;

namespace PresenceKeepAlive.Benchmarks.Sdk;

/// <summary>
/// A primary handler that reads the request body and answers 200 after <c>latency</c> on a real timer, so that sends
/// are in flight at once and complete on thread-pool threads, as over a socket. No network.
/// </summary>
internal sealed class DelayedOkHandler(TimeSpan latency) : HttpMessageHandler
{
    private long _requests;

    /// <summary>Gets how many requests were answered.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is { } content)
        {
            await content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        }

        await Task.Delay(latency, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _requests);
        return new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request };
    }
}
