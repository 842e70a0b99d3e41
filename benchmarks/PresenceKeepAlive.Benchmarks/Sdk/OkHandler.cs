using System.Net;

namespace PresenceKeepAlive.Benchmarks.Sdk;

/// <summary>
/// The primary handler of the benchmarks' HTTP pipeline: reads the request body (as a socket handler would) and answers
/// 200 with no body at once. No network.
/// </summary>
internal sealed class OkHandler : HttpMessageHandler
{
    public long Requests;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is { } content)
        {
            await content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        }

        Requests++;
        return new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request };
    }
}
