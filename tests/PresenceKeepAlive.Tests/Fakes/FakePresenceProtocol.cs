using System.Net;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Tests.Fakes;

/// <summary>What the fake service received.</summary>
internal sealed record RecordedCall(string Operation, string UserId, PresenceState? State, DateTimeOffset At);

/// <summary>
/// A fake presence service behind <see cref="IPresenceProtocol"/>: records every call with its time, keeps what it
/// accepted (in completion order), can fail or hang on demand through <see cref="Handler"/>, and can enforce a rate
/// budget like Graph (429 when more than <see cref="BudgetLimit"/> requests arrive in any closed window).
/// </summary>
internal sealed class FakePresenceProtocol : IPresenceProtocol
{
    private readonly object _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly List<RecordedCall> _calls = [];
    private readonly List<RecordedCall> _accepted = [];
    private readonly Dictionary<string, PresenceState?> _current = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, DateTimeOffset> _lastAccepted = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<DateTimeOffset> _window = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _callWaiters = [];

    public FakePresenceProtocol(TimeProvider timeProvider, PresenceProtocol protocol = PresenceProtocol.SetPresence)
    {
        _timeProvider = timeProvider;
        Protocol = protocol;
    }

    public PresenceProtocol Protocol { get; }

    /// <summary>Gets or sets what happens to a call: return a completed task to accept, a faulted one to fail, a pending one to hang.</summary>
    public Func<RecordedCall, Task>? Handler { get; set; }

    /// <summary>Gets or sets the most requests accepted in any window of <see cref="BudgetWindow"/>; <see langword="null"/> for no limit.</summary>
    public int? BudgetLimit { get; set; }

    public TimeSpan BudgetWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the session timeout used to count lapses: gaps between accepted sends of one user longer than this.</summary>
    public TimeSpan LapseThreshold { get; set; } = TimeSpan.FromMinutes(5);

    public int ThrottledCount { get; private set; }

    public int LapseCount { get; private set; }

    public TimeSpan LongestGap { get; private set; }

    public bool RecordCalls { get; set; } = true;

    public int CallCount { get; private set; }

    public IReadOnlyList<RecordedCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToArray();
            }
        }
    }

    public IReadOnlyList<RecordedCall> Accepted
    {
        get
        {
            lock (_gate)
            {
                return _accepted.ToArray();
            }
        }
    }

    public static PresenceRequestException Transient(HttpStatusCode status = HttpStatusCode.ServiceUnavailable) =>
        new($"Fake {(int)status}") { StatusCode = status, ErrorCode = status.ToString() };

    public static PresenceRequestException Permanent(HttpStatusCode status = HttpStatusCode.Forbidden) =>
        new($"Fake {(int)status}") { StatusCode = status, ErrorCode = status.ToString() };

    /// <summary>Returns the state the service shows for the user's app session (null after a sign-off or never set).</summary>
    public PresenceState? CurrentState(string userId)
    {
        lock (_gate)
        {
            return _current.GetValueOrDefault(userId);
        }
    }

    public IReadOnlyList<RecordedCall> CallsFor(string userId) => Calls.Where(c => string.Equals(c.UserId, userId, StringComparison.OrdinalIgnoreCase)).ToArray();

    /// <summary>Completes when at least <paramref name="count"/> calls have arrived (with a generous safety timeout).</summary>
    public Task WaitForCallsAsync(int count)
    {
        lock (_gate)
        {
            if (CallCount >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _callWaiters.Add((count, signal));
            return signal.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Gets the parent span context of each call, in call order.</summary>
    public List<System.Diagnostics.ActivityContext> Parents { get; } = [];

    public Task SetPresenceAsync(string userId, PresenceState state, System.Diagnostics.ActivityContext parent, CancellationToken cancellationToken) =>
        HandleAsync(parent, new RecordedCall("setPresence", userId, state, _timeProvider.GetUtcNow()), cancellationToken);

    public Task ClearPresenceAsync(string userId, System.Diagnostics.ActivityContext parent, CancellationToken cancellationToken) =>
        HandleAsync(parent, new RecordedCall("clearPresence", userId, null, _timeProvider.GetUtcNow()), cancellationToken);

    private async Task HandleAsync(System.Diagnostics.ActivityContext parent, RecordedCall call, CancellationToken cancellationToken)
    {
        // Stands in for the HTTP pipeline: every attempt passes the app's gate, as the real handler does.
        if (PresenceKeepAlive.Http.Internal.PresenceSendScope.Current?.TryEnterAttempt() == false)
        {
            throw new InvalidOperationException("An attempt was sent without a place in the rate budget.");
        }

        List<TaskCompletionSource>? signals = null;
        lock (_gate)
        {
            Parents.Add(parent);
            CallCount++;
            if (RecordCalls)
            {
                _calls.Add(call);
            }

            for (var i = _callWaiters.Count - 1; i >= 0; i--)
            {
                if (_callWaiters[i].Count <= CallCount)
                {
                    (signals ??= []).Add(_callWaiters[i].Signal);
                    _callWaiters.RemoveAt(i);
                }
            }

            if (BudgetLimit is { } limit)
            {
                while (_window.Count > 0 && _window.Peek() < call.At - BudgetWindow)
                {
                    _window.Dequeue();
                }

                if (_window.Count >= limit)
                {
                    ThrottledCount++;
                    signals?.ForEach(s => s.TrySetResult());
                    throw new PresenceRequestException("Fake 429") { StatusCode = HttpStatusCode.TooManyRequests, RetryAfter = TimeSpan.FromSeconds(1) };
                }

                _window.Enqueue(call.At);
            }
        }

        signals?.ForEach(s => s.TrySetResult());
        if (Handler is { } handler)
        {
            await handler(call).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        lock (_gate)
        {
            var now = _timeProvider.GetUtcNow();
            if (RecordCalls)
            {
                _accepted.Add(call with { At = now });
            }

            if (call.Operation == "clearPresence")
            {
                _current[call.UserId] = null;
                _lastAccepted.Remove(call.UserId);
            }
            else
            {
                _current[call.UserId] = call.State;
                if (_lastAccepted.TryGetValue(call.UserId, out var last))
                {
                    var gap = now - last;
                    if (gap > LongestGap)
                    {
                        LongestGap = gap;
                    }

                    if (gap > LapseThreshold)
                    {
                        LapseCount++;
                    }
                }

                _lastAccepted[call.UserId] = now;
            }
        }
    }
}
