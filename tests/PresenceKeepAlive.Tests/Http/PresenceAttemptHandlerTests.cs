using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Protocol.Internal;
using RichardSzalay.MockHttp;

namespace PresenceKeepAlive.Tests.Http;

/// <summary>Every HTTP attempt of the named client, retries and redirects included, passes the app's rate budget.</summary>
public class PresenceAttemptHandlerTests
{
    private static readonly TimeSpan RetryMaxDelay = TimeSpan.FromSeconds(10);

    [Test]
    public async Task SetPresenceAsync_RetryFindsNoPlaceInTheBudget_IsNeverSentAndTheCallerSeesATransientError()
    {
        // A budget of 2 a window: the first attempt uses the scheduler's reservation, the first retry the last free
        // place; the second retry finds none and must not leave.
        using var host = CreateSut(o =>
        {
            o.RateLimitPerWindow = 2;
            o.MaxRetryAttempts = 3;
        });
        host.RespondAlways(HttpStatusCode.ServiceUnavailable);
        var gate = host.Provider.GetRequiredService<RequestGate>();
        var ticket = Reserve(host, gate);

        PresenceSendScope.Begin(ticket);
        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        PresenceSendScope.Begin(null);
        await host.NextRequestAsync();
        await host.AdvancePastRetryDelayAsync(RetryMaxDelay);
        await host.NextRequestAsync();
        await host.AdvancePastRetryDelayAsync(RetryMaxDelay);
        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() => send.WaitAsync(GraphTestHost.Generous));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(host.Requests.Count, Is.EqualTo(2), "HTTP requests that reached Graph");
            Assert.That(ticket.Attempts, Is.EqualTo(2));
            Assert.That(gate.Entered, Is.EqualTo(2));
            Assert.That(ex.IsTransient, Is.True);
            Assert.That(ex.StatusCode, Is.Null);
            Assert.That(ex.InnerException, Is.InstanceOf<RateBudgetRefusedException>());
            Assert.That(ex.Message, Does.Contain("was not sent").And.Contain("rate budget").And.Contain("retry"));
            Assert.That(ex.Operation, Is.EqualTo("setPresence"));
        }

        // Nothing else leaves later either: the refusal is not retried by Polly.
        host.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.That(await host.Requests.WaitAsync(GraphTestHost.Short), Is.False);
    }

    [Test]
    public async Task SetPresenceAsync_EveryAttemptWithATicket_TakesThePlaceTheSchedulerReservedThenFreePlaces()
    {
        using var host = CreateSut(o => o.RateLimitPerWindow = 10);
        host.RespondInTurn(_ => new HttpResponseMessage(HttpStatusCode.InternalServerError), _ => new HttpResponseMessage(HttpStatusCode.OK));
        var gate = host.Provider.GetRequiredService<RequestGate>();
        var ticket = Reserve(host, gate);
        Assert.That(gate.Available, Is.EqualTo(9), "one place reserved");

        PresenceSendScope.Begin(ticket);
        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        PresenceSendScope.Begin(null);
        await host.NextRequestAsync();
        await host.AdvancePastRetryDelayAsync(RetryMaxDelay);
        await send.WaitAsync(GraphTestHost.Generous);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(host.Requests.Count, Is.EqualTo(2));
            Assert.That(ticket.Attempts, Is.EqualTo(2));
            Assert.That(gate.Entered, Is.EqualTo(2));
            Assert.That(gate.Available, Is.EqualTo(8), "the reservation was used by the first attempt, not kept besides it");
        }
    }

    [Test]
    public async Task SetPresenceAsync_TicketForbidsRetries_TransientFailureIsNotRetried()
    {
        // While the whole fleet is failing, the scheduler backs off as a whole: no retries inside a send.
        using var host = CreateSut(o => o.MaxRetryAttempts = 3);
        host.RespondAlways(HttpStatusCode.ServiceUnavailable);
        var ticket = new SendTicket(gate: null, reserved: false, retriesAllowed: false, host.Time.GetTimestamp());

        PresenceSendScope.Begin(ticket);
        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        PresenceSendScope.Begin(null);
        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() => send.WaitAsync(GraphTestHost.Generous));

        Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(host.Requests.Count, Is.EqualTo(1));
        Assert.That(ticket.Attempts, Is.EqualTo(1));
    }

    [Test]
    public async Task SetPresenceAsync_NoTicket_EachAttemptTakesAFreePlaceOfTheSharedGate()
    {
        // A request made outside any session (no ticket) still passes the app's gate.
        using var host = CreateSut(o =>
        {
            o.RateLimitPerWindow = 1;
            o.MaxRetryAttempts = 3;
        });
        host.RespondAlways(HttpStatusCode.BadGateway);
        var gate = host.Provider.GetRequiredService<RequestGate>();

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        await host.NextRequestAsync();
        await host.AdvancePastRetryDelayAsync(RetryMaxDelay);
        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() => send.WaitAsync(GraphTestHost.Generous));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(host.Requests.Count, Is.EqualTo(1));
            Assert.That(gate.Entered, Is.EqualTo(1));
            Assert.That(ex.InnerException, Is.InstanceOf<RateBudgetRefusedException>());
        }
    }

    [Test]
    public async Task SetPresenceAsync_BudgetFullBeforeTheFirstAttempt_SendsNothing()
    {
        using var host = CreateSut(o => o.RateLimitPerWindow = 1);
        var any = host.RespondAlways(HttpStatusCode.OK);
        var gate = host.Provider.GetRequiredService<RequestGate>();
        Assert.That(gate.TryEnter(reserved: false), Is.True);

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(host.Mock.GetMatchCount(any), Is.Zero);
            Assert.That(ex.IsTransient, Is.True);
            Assert.That(ex.Message, Does.Contain("the request").And.Contain("RateLimitPerWindow"));
        }
    }

    [Test]
    public async Task SetPresenceAsync_RedirectFollowedByGraphsHandler_ReSendPassesTheGateToo()
    {
        // The handler sits below Graph's RedirectHandler, so a redirect's re-send is an attempt like any other.
        using var host = CreateSut(o => o.RateLimitPerWindow = 10);
        host.RespondInTurn(
            _ =>
            {
                var response = new HttpResponseMessage(HttpStatusCode.TemporaryRedirect);
                response.Headers.Location = new Uri(GraphTestHost.SetPresenceUri());
                return response;
            },
            _ => new HttpResponseMessage(HttpStatusCode.OK));
        var gate = host.Provider.GetRequiredService<RequestGate>();
        var ticket = Reserve(host, gate);

        PresenceSendScope.Begin(ticket);
        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);
        PresenceSendScope.Begin(null);
        await send.WaitAsync(GraphTestHost.Generous);

        Assert.That(host.Requests.Count, Is.EqualTo(2));
        Assert.That(ticket.Attempts, Is.EqualTo(2));
        Assert.That(gate.Entered, Is.EqualTo(2));
    }

    [Test]
    public async Task Send_HandlerAddedByTheApplication_RunsOutsideTheGateSoItsReSendsAreCounted()
    {
        // A handler the application adds (here one that sends every request twice) must not get past the gate.
        var resender = new ResendingHandler();
        using var host = GraphTestHost.Create(
            o => o.RateLimitPerWindow = 10,
            configureBuilder: builder => builder.AddHttpMessageHandler(() => resender));
        host.RespondAlways(HttpStatusCode.OK);
        var gate = host.Provider.GetRequiredService<RequestGate>();

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);

        Assert.That(host.Requests.Count, Is.EqualTo(2));
        Assert.That(gate.Entered, Is.EqualTo(2));
    }

    [Test]
    public void Send_Synchronous_PassesTheGateToo()
    {
        using var host = CreateSut(o => o.RateLimitPerWindow = 1);
        host.RespondAlways(HttpStatusCode.OK);
        var gate = host.Provider.GetRequiredService<RequestGate>();
        using var client = host.Provider.GetRequiredService<IHttpClientFactory>().CreateClient(PresenceHttpClient.Name);

        using (client.Send(new HttpRequestMessage(HttpMethod.Get, GraphTestHost.GraphBase + "/me")))
        {
        }

        Assert.That(gate.Entered, Is.EqualTo(1));
        Assert.That(() => client.Send(new HttpRequestMessage(HttpMethod.Get, GraphTestHost.GraphBase + "/me")), Throws.InstanceOf<RateBudgetRefusedException>());
        Assert.That(host.Requests.Count, Is.EqualTo(1));
    }

    private static SendTicket Reserve(GraphTestHost host, RequestGate gate)
    {
        Assert.That(gate.TryReserve(), Is.True);
        return new SendTicket(gate, reserved: true, retriesAllowed: true, host.Time.GetTimestamp());
    }

    private static GraphTestHost CreateSut(Action<PresenceKeepAliveOptions>? configure = null) =>
        GraphTestHost.Create(o =>
        {
            o.RetryBaseDelay = TimeSpan.FromSeconds(1);
            o.RetryMaxDelay = RetryMaxDelay;
            o.AttemptTimeout = TimeSpan.FromSeconds(20);
            o.TotalRequestTimeout = TimeSpan.FromMinutes(10);
            configure?.Invoke(o);
        });

    private sealed class ResendingHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            (await base.SendAsync(request, cancellationToken)).Dispose();
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
