using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using PresenceKeepAlive.Tests.Http;

namespace PresenceKeepAlive.Tests.Protocol;

/// <summary>The request span: a child of the given parent (a state change's caller), a root span otherwise.</summary>
public class GraphPresenceProtocolTracingTests
{
    [Test]
    public async Task SetPresenceAsync_ParentGiven_RequestSpanIsItsChild()
    {
        using var spans = new SpanRecorder();
        using var host = GraphTestHost.Create();
        host.RespondAlways(HttpStatusCode.OK);
        var parent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, parent, CancellationToken.None);

        var span = spans.Single("setPresence");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(span.TraceId, Is.EqualTo(parent.TraceId));
            Assert.That(span.ParentSpanId, Is.EqualTo(parent.SpanId));
            Assert.That(span.Kind, Is.EqualTo(ActivityKind.Client));
            Assert.That(span.GetTagItem("presence.outcome"), Is.EqualTo("success"));
        }
    }

    [Test]
    public async Task ClearPresenceAsync_ParentGiven_RequestSpanIsItsChild()
    {
        using var spans = new SpanRecorder();
        using var host = GraphTestHost.Create();
        host.RespondAlways(HttpStatusCode.OK);
        var parent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

        await host.Protocol.ClearPresenceAsync(GraphTestHost.UserId, parent, CancellationToken.None);

        var span = spans.Single("clearPresence");
        Assert.That(span.TraceId, Is.EqualTo(parent.TraceId));
        Assert.That(span.ParentSpanId, Is.EqualTo(parent.SpanId));
    }

    [Test]
    public async Task SetPresenceAsync_DefaultParentAndNoCurrentActivity_RequestSpanIsARootSpan()
    {
        using var spans = new SpanRecorder();
        using var host = GraphTestHost.Create();
        host.RespondAlways(HttpStatusCode.OK);
        Assert.That(Activity.Current, Is.Null);

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, default, CancellationToken.None);

        var span = spans.Single("setPresence");
        Assert.That(span.Parent, Is.Null);
        Assert.That(span.ParentSpanId, Is.EqualTo(default(ActivitySpanId)));
    }

    [Test]
    public async Task SetPresenceAsync_DefaultParentWhileAnotherActivityIsCurrent_RequestSpanIsStillARootSpan()
    {
        // A refresh or retry must not become part of whatever trace the flow it happens to run on carries.
        using var spans = new SpanRecorder();
        using var host = GraphTestHost.Create();
        host.RespondAlways(HttpStatusCode.OK);
        using var ambient = new Activity("ambient").Start();

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, default, CancellationToken.None);

        var span = spans.Single("setPresence");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(span.ParentSpanId, Is.EqualTo(default(ActivitySpanId)));
            Assert.That(span.TraceId, Is.Not.EqualTo(ambient.TraceId));
            Assert.That(Activity.Current, Is.SameAs(ambient), "the caller's current activity is left as it was");
        }
    }

    /// <summary>Records the library's spans as they stop.</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ConcurrentQueue<Activity> _stopped = new();
        private readonly ActivityListener _listener;

        public SpanRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == PresenceKeepAliveDiagnostics.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _stopped.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public Activity Single(string operation) => _stopped.Single(a => a.OperationName == operation);

        public void Dispose() => _listener.Dispose();
    }
}
