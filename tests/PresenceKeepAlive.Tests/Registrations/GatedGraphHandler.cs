namespace PresenceKeepAlive.Tests.Registrations;

/// <summary>
/// In front of a <see cref="RecordingGraphHandler"/>: holds every answer while <see cref="Hold"/> is on, and logs, in
/// order, when each request was sent and when its answer was given back (no sleeps: the test releases the answers).
/// </summary>
internal sealed class GatedGraphHandler : DelegatingHandler
{
    private readonly object _lock = new();
    private readonly List<(bool Answered, RecordedRequest Request)> _events = [];
    private TaskCompletionSource? _gate;

    public GatedGraphHandler(RecordingGraphHandler inner, bool holding)
        : base(inner)
    {
        if (holding)
        {
            Hold();
        }
    }

    /// <summary>Gets the sends and answers in the order they happened.</summary>
    public IReadOnlyList<(bool Answered, RecordedRequest Request)> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Holds the answers of the requests that arrive from now on until <see cref="Release"/>.</summary>
    public void Hold()
    {
        lock (_lock)
        {
            _gate ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Gives back every held answer and stops holding.</summary>
    public void Release()
    {
        TaskCompletionSource? gate;
        lock (_lock)
        {
            gate = _gate;
            _gate = null;
        }

        gate?.TrySetResult();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var recorded = new RecordedRequest(request.Method, request.RequestUri!, request.Headers.Authorization?.ToString(), request.Content?.Headers.ContentType?.MediaType, body);
        Task gate;
        lock (_lock)
        {
            _events.Add((false, recorded));
            gate = _gate?.Task ?? Task.CompletedTask;
        }

        var response = await base.SendAsync(request, cancellationToken);
        await gate.WaitAsync(cancellationToken);
        lock (_lock)
        {
            _events.Add((true, recorded));
        }

        return response;
    }
}
