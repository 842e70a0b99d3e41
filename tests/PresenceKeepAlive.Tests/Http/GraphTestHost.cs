using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Protocol.Internal;
using RichardSzalay.MockHttp;

namespace PresenceKeepAlive.Tests.Http;

/// <summary>
/// The real DI graph of <c>AddPresenceSession</c> with a fake clock, a fixed token and <see cref="MockHttpMessageHandler"/>
/// as the primary handler, so that requests cross the Polly policy and Graph's handlers exactly as in production.
/// </summary>
internal sealed class GraphTestHost : IDisposable
{
    public const string ClientId = "0f2d6a4e-5b7c-4d3e-9a1b-2c3d4e5f6a7b";
    public const string TenantId = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b";
    public const string Token = "fixed-test-token";
    public const string GraphBase = "https://graph.microsoft.com/v1.0";
    public const string UserId = "6e7f8a9b-0c1d-4e2f-8a3b-4c5d6e7f8a9b";

    /// <summary>How long to wait (real time) for something that must happen.</summary>
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait (real time) to be confident that something does not happen.</summary>
    public static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);

    private GraphTestHost(MockHttpMessageHandler mock, ObservableTimeProvider time, ServiceProvider provider)
    {
        Mock = mock;
        Time = time;
        Provider = provider;
    }

    public MockHttpMessageHandler Mock { get; }

    public ObservableTimeProvider Time { get; }

    public ServiceProvider Provider { get; }

    public RequestRecorder Requests { get; } = new();

    public IPresenceProtocol Protocol => Provider.GetRequiredService<IPresenceProtocol>();

    public static string SetPresenceUri(string userId = UserId) => $"{GraphBase}/users/{userId}/presence/setPresence";

    public static string ClearPresenceUri(string userId = UserId) => $"{GraphBase}/users/{userId}/presence/clearPresence";

    public static string PatchUri(string userId = UserId) => $"{GraphBase}/users/{userId}/presence";

    public static GraphTestHost Create(
        Action<PresenceKeepAliveOptions>? configure = null,
        Action<IServiceCollection>? configureServices = null,
        Action<IHttpClientBuilder>? configureBuilder = null)
    {
        var mock = new MockHttpMessageHandler();
        var time = new ObservableTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        configureServices?.Invoke(services);
        var builder = services.AddPresenceSession(o =>
            {
                o.ClientId = ClientId;
                o.TenantId = TenantId;
                o.Credential = new FixedTokenCredential(Token);
                configure?.Invoke(o);
            })
            .HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => mock);
        configureBuilder?.Invoke(builder);
        return new GraphTestHost(mock, time, services.BuildServiceProvider());
    }

    /// <summary>Answers every request with the given responses in turn (the last one repeats), recording each request.</summary>
    public MockedRequest RespondInTurn(params Func<HttpRequestMessage, HttpResponseMessage>[] responses)
    {
        var next = -1;
        return Mock.When("*").Respond(request =>
        {
            Requests.Record(request);
            var index = Math.Min(Interlocked.Increment(ref next), responses.Length - 1);
            return Task.FromResult(responses[index](request));
        });
    }

    /// <summary>Never answers (each attempt hangs until a timeout cancels it), recording each request.</summary>
    public MockedRequest RespondNever() => Mock.When("*").Respond(request =>
    {
        Requests.Record(request);
        return new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously).Task;
    });

    /// <summary>Answers every request with <paramref name="status"/>, recording each request.</summary>
    public MockedRequest RespondAlways(HttpStatusCode status) => RespondInTurn(_ => new HttpResponseMessage(status));

    /// <summary>Waits (real time) for the next request to arrive at the mock.</summary>
    public async Task<RecordedRequest> NextRequestAsync()
    {
        var arrived = await Requests.WaitAsync(Generous);
        Assert.That(arrived, Is.True, "The expected request did not arrive.");
        return Requests.Last;
    }

    /// <summary>Waits for the retry delay (a timer no longer than <paramref name="maxDelay"/>) to be scheduled, then advances past it.</summary>
    public async Task<TimeSpan> AdvancePastRetryDelayAsync(TimeSpan maxDelay)
    {
        var delay = await Time.WaitForTimerAsync(d => d > TimeSpan.Zero && d <= maxDelay, Generous);
        Time.Advance(delay);
        return delay;
    }

    public void Dispose()
    {
        Provider.Dispose();
        Mock.Dispose();
        Requests.Dispose();
    }
}

/// <summary>Records requests and signals each arrival.</summary>
internal sealed class RequestRecorder : IDisposable
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public int Count => _requests.Count;

    public IReadOnlyList<RecordedRequest> All => [.. _requests];

    public RecordedRequest Last => _requests.Last();

    public RecordedRequest Record(HttpRequestMessage request)
    {
        var body = request.Content?.ReadAsStringAsync().GetAwaiter().GetResult();
        var recorded = new RecordedRequest(
            request.Method,
            request.RequestUri!,
            request.Headers.Authorization?.ToString(),
            request.Content?.Headers.ContentType?.MediaType,
            body);
        _requests.Enqueue(recorded);
        _arrived.Release();
        return recorded;
    }

    public Task<bool> WaitAsync(TimeSpan timeout) => _arrived.WaitAsync(timeout);

    public void Dispose() => _arrived.Dispose();
}

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports every timer scheduled on it, so that a test advances time only after
/// the delay it means to skip has been scheduled. Time still moves only by <see cref="FakeTimeProvider.Advance"/>.
/// </summary>
internal sealed class ObservableTimeProvider : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _scheduled = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ObservedTimer(base.CreateTimer(callback, state, dueTime, period), _scheduled.Writer);
        Report(_scheduled.Writer, dueTime);
        return timer;
    }

    /// <summary>Waits (real time) until a timer whose due time matches <paramref name="match"/> is scheduled; earlier ones are skipped.</summary>
    public async Task<TimeSpan> WaitForTimerAsync(Func<TimeSpan, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var due = await _scheduled.Reader.ReadAsync(cts.Token);
                if (match(due))
                {
                    return due;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("No matching timer was scheduled on the fake clock.");
            throw;
        }
    }

    private static void Report(ChannelWriter<TimeSpan> writer, TimeSpan dueTime)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            writer.TryWrite(dueTime);
        }
    }

    private sealed class ObservedTimer(ITimer inner, ChannelWriter<TimeSpan> writer) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = inner.Change(dueTime, period);
            Report(writer, dueTime);
            return changed;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
