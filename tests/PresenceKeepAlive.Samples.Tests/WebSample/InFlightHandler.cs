namespace PresenceKeepAlive.Samples.Tests.WebSample;

/// <summary>Counts the library's Graph requests in flight, so a test moves the fake clock only while none is on the wire.</summary>
internal sealed class InFlightCounter(ObservedTimeProvider time)
{
    private readonly object _gate = new();
    private int _inFlight;
    private long _armedAtLastResponse = -1;

    /// <summary>Returns a new handler for the library's HTTP client (a handler belongs to one pipeline) that counts here.</summary>
    public DelegatingHandler CreateHandler() => new Handler(this);

    /// <summary>
    /// Gets whether the library is waiting for the clock: no request in flight, no send handed to a thread-pool thread
    /// and not yet started (the engine sends on pool threads, so a send due at a step reaches the wire a little later),
    /// and a timer armed since the last response (so the library has finished reacting to it).
    /// </summary>
    public bool IsQuiet
    {
        get
        {
            lock (_gate)
            {
                return _inFlight == 0 &&
                       PresenceKeepAlive.KeepAlive.Internal.KeepAliveScheduler.PendingDispatches == 0 &&
                       time.Armed > _armedAtLastResponse;
            }
        }
    }

    private void Enter()
    {
        lock (_gate)
        {
            _inFlight++;
        }
    }

    private void Leave()
    {
        lock (_gate)
        {
            _inFlight--;
            _armedAtLastResponse = time.Armed;
        }
    }

    private sealed class Handler(InFlightCounter counter) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            counter.Enter();
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            finally
            {
                counter.Leave();
            }
        }
    }
}
