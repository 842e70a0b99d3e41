using System.Net;
using System.Net.Http.Headers;
using System.Text;
using PresenceKeepAlive.Protocol.Internal;
using PresenceKeepAlive.Tests.Http;
using RichardSzalay.MockHttp;

namespace PresenceKeepAlive.Tests.Protocol;

/// <summary>What a failed request tells the caller, from Graph-shaped error responses.</summary>
public class GraphErrorTranslatorTests
{
    private const string ThrottledBody = """
        {"error":{"code":"TooManyRequests","message":"Too many requests for this application.",
          "innerError":{"code":"429","date":"2026-01-01T00:00:00","request-id":"5c3a1b2d-0000-4000-8000-000000000001","client-request-id":"5c3a1b2d-0000-4000-8000-000000000002"}}}
        """;

    [Test]
    public void Translate_ConnectionRefused_MessageReadsAsSentences()
    {
        var error = GraphErrorTranslator.Translate(
            new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:5080)"),
            "setPresence",
            "adele@contoso.com",
            TimeProvider.System);

        Assert.That(error.Message, Does.Contain("Connection refused (127.0.0.1:5080). The request is transient"));
        Assert.That(error.IsTransient, Is.True);
    }

    [Test]
    public async Task SetPresenceAsync_GraphErrorBody_ExceptionCarriesEveryField()
    {
        using var host = CreateSut();
        host.RespondInTurn(_ =>
        {
            var response = Json(HttpStatusCode.TooManyRequests, ThrottledBody);
            response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(300));
            return response;
        });

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync("adele@contoso.com", PresenceState.BusyInACall, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(ex.ErrorCode, Is.EqualTo("TooManyRequests"));
            Assert.That(ex.ServiceMessage, Is.EqualTo("Too many requests for this application."));
            Assert.That(ex.RequestId, Is.EqualTo("5c3a1b2d-0000-4000-8000-000000000001"));
            Assert.That(ex.ClientRequestId, Is.EqualTo("5c3a1b2d-0000-4000-8000-000000000002"));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(300)));
            Assert.That(ex.Operation, Is.EqualTo("setPresence"));
            Assert.That(ex.UserId, Is.EqualTo("adele@contoso.com"));
            Assert.That(ex.IsTransient, Is.True);
            Assert.That(ex.Message, Does.Contain("429").And.Contain("TooManyRequests").And.Contain("5c3a1b2d-0000-4000-8000-000000000001"));
        }
    }

    [Test]
    public async Task SetPresenceAsync_ErrorWithoutInnerError_TakesRequestIdsFromHeaders()
    {
        using var host = CreateSut();
        host.RespondInTurn(_ =>
        {
            var response = Json(HttpStatusCode.BadRequest, """{"error":{"code":"InvalidArgument","message":"The provided [ExpirationDuration] is out of range."}}""");
            response.Headers.Add("request-id", "req-from-header");
            response.Headers.Add("client-request-id", "client-from-header");
            return response;
        });

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(ex.ErrorCode, Is.EqualTo("InvalidArgument"));
            Assert.That(ex.ServiceMessage, Does.Contain("ExpirationDuration"));
            Assert.That(ex.RequestId, Is.EqualTo("req-from-header"));
            Assert.That(ex.ClientRequestId, Is.EqualTo("client-from-header"));
            Assert.That(ex.IsTransient, Is.False);
        }
    }

    [TestCase("""{"error":{"code":"Forbidden","message":""}}""")]
    [TestCase("")]
    public async Task SetPresenceAsync_403WithEmptyMessage_MessageNamesTheMissingPermissions(string body)
    {
        using var host = CreateSut();
        host.RespondInTurn(_ => Json(HttpStatusCode.Forbidden, body));

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(ex.IsTransient, Is.False);
            Assert.That(ex.Message, Does.Contain("Presence.ReadWrite.All"));
            Assert.That(ex.Message, Does.Contain("delegated").And.Contain("Presence.ReadWrite "));
            Assert.That(host.Requests.Count, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task SetPresenceAsync_401_MessagePointsAtTheCredential()
    {
        using var host = CreateSut();
        host.RespondInTurn(_ => Json(HttpStatusCode.Unauthorized, """{"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty."}}"""));

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        Assert.That(ex.ErrorCode, Is.EqualTo("InvalidAuthenticationToken"));
        Assert.That(ex.Message, Does.Contain("credential"));
    }

    [TestCase("""{"error":{"code":"ItemNotFound","message":"Session not found."}}""")]
    [TestCase("")]
    public async Task ClearPresenceAsync_404_CompletesAsAlreadySignedOff(string body)
    {
        using var host = CreateSut();
        host.RespondInTurn(_ => Json(HttpStatusCode.NotFound, body));

        await host.Protocol.ClearPresenceAsync(GraphTestHost.UserId, CancellationToken.None);

        Assert.That(host.Requests.Count, Is.EqualTo(1));
        Assert.That(host.Requests.Last.Uri.AbsoluteUri, Is.EqualTo(GraphTestHost.ClearPresenceUri()));
    }

    [Test]
    public async Task SetPresenceAsync_404_ThrowsUserNotFound()
    {
        using var host = CreateSut();
        host.RespondInTurn(_ => Json(HttpStatusCode.NotFound, """{"error":{"code":"ResourceNotFound","message":"User not found."}}"""));

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(ex.ErrorCode, Is.EqualTo("ResourceNotFound"));
    }

    [Test]
    public async Task ClearPresenceAsync_403_StillThrows()
    {
        using var host = CreateSut();
        host.RespondInTurn(_ => Json(HttpStatusCode.Forbidden, """{"error":{"code":"Forbidden","message":""}}"""));

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() => host.Protocol.ClearPresenceAsync(GraphTestHost.UserId, CancellationToken.None));

        Assert.That(ex.Operation, Is.EqualTo("clearPresence"));
    }

    [Test]
    public async Task ClearPresenceAsync_PatchProtocol404_Throws()
    {
        // Only clearPresence's 404 means "no such session"; the seed's PATCH 404 means the user was not found.
        using var host = CreateSut(o => o.Protocol = PresenceProtocol.Patch);
        host.RespondInTurn(_ => Json(HttpStatusCode.NotFound, """{"error":{"code":"ResourceNotFound","message":"User not found."}}"""));

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() => host.Protocol.ClearPresenceAsync(GraphTestHost.UserId, CancellationToken.None));

        Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(ex.Operation, Is.EqualTo("patchPresence"));
    }

    [Test]
    public async Task SetPresenceAsync_CallerCancels_ThrowsOperationCanceledNotPresenceRequestException()
    {
        using var host = CreateSut();
        var never = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Mock.When("*").Respond(request =>
        {
            host.Requests.Record(request);
            return never.Task;
        });
        using var cts = new CancellationTokenSource();

        var send = host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, cts.Token);
        await host.NextRequestAsync();
        await cts.CancelAsync();

        Assert.That(async () => await send, Throws.InstanceOf<OperationCanceledException>());
    }

    private static GraphTestHost CreateSut(Action<PresenceKeepAliveOptions>? configure = null) => GraphTestHost.Create(configure);

    private static HttpResponseMessage Json(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    [TestCase(false)]
    [TestCase(true)]
    public async Task SetPresenceAsync_TokenCannotBeHad_FailsTransientlyWithoutSendingAndNamesTheCredential(bool managedIdentity)
    {
        using var host = GraphTestHost.Create(o => o.Credential = new FailingCredential(managedIdentity));
        host.RespondAlways(HttpStatusCode.OK);

        var error = await Assert.ThrowsAsync<PresenceRequestException>(
            () => host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None));

        Assert.Multiple(() =>
        {
            // An identity-provider outage must not stop sessions for good: it is retried like a network failure.
            Assert.That(error!.IsTransient, Is.True);
            Assert.That(error.StatusCode, Is.Null);
            Assert.That(error.Message, Does.Contain("could not get an access token").And.Contain("credential"));
            Assert.That(host.Requests.Count, Is.Zero);
        });
    }

    private sealed class FailingCredential(bool managedIdentity) : Azure.Core.TokenCredential
    {
        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw (managedIdentity
                ? new Azure.Identity.CredentialUnavailableException("No managed identity endpoint found.")
                : new Azure.Identity.AuthenticationFailedException("login.microsoftonline.com could not be reached."));

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
