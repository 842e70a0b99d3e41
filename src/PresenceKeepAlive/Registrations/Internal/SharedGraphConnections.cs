using System.Net;

namespace PresenceKeepAlive.Registrations.Internal;

/// <summary>
/// One connection pool to Graph for every named registration of the process: a hundred tenants' clients share the same
/// sockets instead of opening a pool each. The handler chains of <c>IHttpClientFactory</c> come and go (they are rebuilt
/// every few minutes); each wraps the shared handler in a <see cref="Lease"/>, which never disposes it. One per container.
/// </summary>
internal sealed class SharedGraphConnections : IDisposable
{
    private readonly SocketsHttpHandler _handler = new()
    {
        AutomaticDecompression = DecompressionMethods.All,

        // Connections are renewed, so DNS changes are followed without rebuilding the handler.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxConnectionsPerServer = 64,
    };

    /// <summary>Returns a primary handler over the shared pool, for one handler chain.</summary>
    public HttpMessageHandler CreateLease() => new Lease(_handler);

    public void Dispose() => _handler.Dispose();

    private sealed class Lease(HttpMessageHandler shared) : DelegatingHandler(shared)
    {
        // The pool belongs to the container, not to this chain: DelegatingHandler would dispose its inner handler here.
        protected override void Dispose(bool disposing)
        {
        }
    }
}
