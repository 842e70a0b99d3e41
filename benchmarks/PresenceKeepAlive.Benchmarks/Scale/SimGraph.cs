using System.Diagnostics;
using System.Net;
using PresenceKeepAlive.Protocol.Internal;

namespace PresenceKeepAlive.Benchmarks.Scale;

/// <summary>
/// An in-memory Graph presence service for the harness: answers at once, throttles like Graph (429 with
/// Retry-After when more than the limit arrives in any window of the given length), and measures what users would
/// see: a lapse is a gap longer than the session timeout between accepted sends of one user (users want presence
/// from the start of the run). Per-user data lives in arrays allocated before the memory baseline.
/// </summary>
internal sealed class SimGraph : IPresenceProtocol
{
    /// <summary>The Retry-After of a throttled request.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private readonly Dictionary<string, int> _index;
    private readonly long[] _lastAccepted;
    private readonly bool[] _everLapsed;
    private readonly long[] _window;
    private readonly long _windowTicks;
    private readonly long _timeoutTicks;
    private int _windowStart;
    private int _windowCount;

    public SimGraph(TimeProvider time, string[] users, int limit, TimeSpan window, TimeSpan sessionTimeout)
    {
        _time = time;
        _index = new Dictionary<string, int>(users.Length, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < users.Length; i++)
        {
            _index[users[i]] = i;
        }

        _lastAccepted = new long[users.Length];
        Array.Fill(_lastAccepted, time.GetUtcNow().UtcTicks);
        _everLapsed = new bool[users.Length];
        _window = new long[limit];
        _windowTicks = window.Ticks;
        _timeoutTicks = sessionTimeout.Ticks;
    }

    public PresenceProtocol Protocol => PresenceProtocol.SetPresence;

    public long Requests { get; private set; }

    public long Accepted { get; private set; }

    public long Throttled { get; private set; }

    public long LapseEvents { get; private set; }

    /// <summary>Gets the time spent inside this handler, in <see cref="Stopwatch"/> ticks.</summary>
    public long HandlerTicks { get; private set; }

    // Stands in for the HTTP pipeline, so every attempt passes the app's gate as it would there.
    public Task SetPresenceAsync(string userId, PresenceState state, System.Diagnostics.ActivityContext parent, CancellationToken cancellationToken) =>
        PresenceKeepAlive.Http.Internal.PresenceSendScope.Current?.TryEnterAttempt() == false ? throw new InvalidOperationException("An attempt was sent without a place in the budget.") : Handle(userId, clear: false);

    public Task ClearPresenceAsync(string userId, System.Diagnostics.ActivityContext parent, CancellationToken cancellationToken) =>
        PresenceKeepAlive.Http.Internal.PresenceSendScope.Current?.TryEnterAttempt() == false ? throw new InvalidOperationException("An attempt was sent without a place in the budget.") : Handle(userId, clear: true);

    /// <summary>Counts the users unserved for longer than the timeout at the end of the run, and users ever lapsed.</summary>
    public (long OpenLapses, int UsersLapsed) Finish()
    {
        var now = _time.GetUtcNow().UtcTicks;
        long open = 0;
        var users = 0;
        for (var i = 0; i < _lastAccepted.Length; i++)
        {
            if (now - _lastAccepted[i] > _timeoutTicks)
            {
                open++;
                _everLapsed[i] = true;
            }

            if (_everLapsed[i])
            {
                users++;
            }
        }

        return (open, users);
    }

    private Task Handle(string userId, bool clear)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return TryAccept(userId, clear)
                ? Task.CompletedTask
                : Task.FromException(new PresenceRequestException("Too many requests.")
                {
                    StatusCode = HttpStatusCode.TooManyRequests,
                    ErrorCode = "TooManyRequests",
                    RetryAfter = RetryAfter,
                    UserId = userId,
                });
        }
        finally
        {
            HandlerTicks += Stopwatch.GetTimestamp() - started;
        }
    }

    /// <summary>
    /// Decides one request at the current time: <see langword="true"/> when accepted, <see langword="false"/> when
    /// throttled (more than the limit in the window). Records acceptances and lapses. Not timed: callers time themselves.
    /// </summary>
    public bool TryAccept(string userId, bool clear)
    {
        lock (_window)
        {
            Requests++;
            var now = _time.GetUtcNow().UtcTicks;
            while (_windowCount > 0 && _window[_windowStart] < now - _windowTicks)
            {
                _windowStart = (_windowStart + 1) % _window.Length;
                _windowCount--;
            }

            if (_windowCount == _window.Length)
            {
                Throttled++;
                return false;
            }

            _window[(_windowStart + _windowCount) % _window.Length] = now;
            _windowCount++;
            Accepted++;
            if (!clear && _index.TryGetValue(userId, out var i))
            {
                if (now - _lastAccepted[i] > _timeoutTicks)
                {
                    LapseEvents++;
                    _everLapsed[i] = true;
                }

                _lastAccepted[i] = now;
            }

            return true;
        }
    }
}
