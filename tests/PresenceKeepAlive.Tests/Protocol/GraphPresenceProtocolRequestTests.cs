using System.Net;
using System.Text.Json.Nodes;
using PresenceKeepAlive.Protocol.Internal;
using PresenceKeepAlive.Tests.Http;
using RichardSzalay.MockHttp;

namespace PresenceKeepAlive.Tests.Protocol;

/// <summary>What goes on the wire for each operation and state, through the real DI graph and handler chain.</summary>
public class GraphPresenceProtocolRequestTests
{
    private static IEnumerable<PresenceState> SetPresenceStates => PresenceState.ValuesFor(PresenceProtocol.SetPresence);

    private static IEnumerable<PresenceState> PatchStates => PresenceState.ValuesFor(PresenceProtocol.Patch);

    [TestCaseSource(nameof(SetPresenceStates))]
    public async Task SetPresenceAsync_SetPresenceProtocol_PostsSetPresenceWithSessionIdStateAndDefaultLease(PresenceState state)
    {
        using var host = CreateSut();
        Expect(host, HttpMethod.Post, GraphTestHost.SetPresenceUri());

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, state, CancellationToken.None);

        host.Mock.VerifyNoOutstandingExpectation();
        AssertRequest(host.Requests.Last, HttpMethod.Post, GraphTestHost.SetPresenceUri(), new JsonObject
        {
            ["sessionId"] = GraphTestHost.ClientId,
            ["availability"] = state.Availability,
            ["activity"] = state.Activity,
            ["expirationDuration"] = "PT5M",
        });
    }

    [TestCase(60, "PT1H")]
    [TestCase(240, "PT4H")]
    [TestCase(90, "PT1H30M")]
    public async Task SetPresenceAsync_CustomLease_SendsLeaseAsIso8601Duration(int minutes, string expected)
    {
        using var host = CreateSut(o => o.Lease = TimeSpan.FromMinutes(minutes));
        Expect(host, HttpMethod.Post, GraphTestHost.SetPresenceUri());

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.BusyInACall, CancellationToken.None);

        host.Mock.VerifyNoOutstandingExpectation();
        AssertRequest(host.Requests.Last, HttpMethod.Post, GraphTestHost.SetPresenceUri(), new JsonObject
        {
            ["sessionId"] = GraphTestHost.ClientId,
            ["availability"] = "Busy",
            ["activity"] = "InACall",
            ["expirationDuration"] = expected,
        });
    }

    [Test]
    public async Task ClearPresenceAsync_SetPresenceProtocol_PostsClearPresenceWithSessionIdOnly()
    {
        using var host = CreateSut();
        Expect(host, HttpMethod.Post, GraphTestHost.ClearPresenceUri());

        await host.Protocol.ClearPresenceAsync(GraphTestHost.UserId, CancellationToken.None);

        host.Mock.VerifyNoOutstandingExpectation();
        AssertRequest(host.Requests.Last, HttpMethod.Post, GraphTestHost.ClearPresenceUri(), new JsonObject
        {
            ["sessionId"] = GraphTestHost.ClientId,
        });
    }

    [TestCaseSource(nameof(PatchStates))]
    public async Task SetPresenceAsync_PatchProtocol_PatchesPresenceWithExactlyAvailabilityAndActivity(PresenceState state)
    {
        using var host = CreateSut(o => o.Protocol = PresenceProtocol.Patch);
        Expect(host, HttpMethod.Patch, GraphTestHost.PatchUri());

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, state, CancellationToken.None);

        host.Mock.VerifyNoOutstandingExpectation();
        AssertRequest(host.Requests.Last, HttpMethod.Patch, GraphTestHost.PatchUri(), new JsonObject
        {
            ["availability"] = state.Availability,
            ["activity"] = state.Activity,
        });
    }

    [Test]
    public async Task ClearPresenceAsync_PatchProtocol_PatchesOfflineOffline()
    {
        using var host = CreateSut(o => o.Protocol = PresenceProtocol.Patch);
        Expect(host, HttpMethod.Patch, GraphTestHost.PatchUri());

        await host.Protocol.ClearPresenceAsync(GraphTestHost.UserId, CancellationToken.None);

        host.Mock.VerifyNoOutstandingExpectation();
        AssertRequest(host.Requests.Last, HttpMethod.Patch, GraphTestHost.PatchUri(), new JsonObject
        {
            ["availability"] = "Offline",
            ["activity"] = "Offline",
        });
    }

    [TestCase(PresenceProtocol.SetPresence, "/presence/setPresence")]
    [TestCase(PresenceProtocol.Patch, "/presence")]
    public async Task SetPresenceAsync_UserPrincipalName_ReachesThatUsersPresencePath(PresenceProtocol protocol, string suffix)
    {
        using var host = CreateSut(o => o.Protocol = protocol);
        host.RespondAlways(HttpStatusCode.OK);

        await host.Protocol.SetPresenceAsync("adele@contoso.com", PresenceState.Available, CancellationToken.None);

        var uri = host.Requests.Last.Uri;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(host.Requests.Count, Is.EqualTo(1));
            Assert.That(uri.GetLeftPart(UriPartial.Authority), Is.EqualTo("https://graph.microsoft.com"));
            Assert.That(Uri.UnescapeDataString(uri.AbsolutePath), Is.EqualTo("/v1.0/users/adele@contoso.com" + suffix));
            Assert.That(uri.Segments, Has.Length.EqualTo(suffix == "/presence" ? 5 : 6), "The UPN must stay one path segment.");
            Assert.That(uri.Query, Is.Empty);
        }
    }

    [Test]
    public async Task SetPresenceAsync_CustomBaseUrl_SendsToThatBaseUrl()
    {
        using var host = CreateSut(o => o.BaseUrl = "https://graph.example.test/v1.0/");
        host.RespondAlways(HttpStatusCode.OK);

        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Away, CancellationToken.None);

        Assert.That(
            host.Requests.Last.Uri.AbsoluteUri,
            Is.EqualTo($"https://graph.example.test/v1.0/users/{GraphTestHost.UserId}/presence/setPresence"));
    }

    private static GraphTestHost CreateSut(Action<PresenceKeepAliveOptions>? configure = null) => GraphTestHost.Create(configure);

    private static void Expect(GraphTestHost host, HttpMethod method, string uri) =>
        host.Mock.Expect(method, uri)
            .WithHeaders("Authorization", "Bearer " + GraphTestHost.Token)
            .Respond(request =>
            {
                host.Requests.Record(request);
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            });

    internal static void AssertRequest(RecordedRequest request, HttpMethod method, string uri, JsonNode expectedBody)
    {
        var body = request.Body is null ? null : JsonNode.Parse(request.Body);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(request.Method, Is.EqualTo(method));
            Assert.That(request.Uri.AbsoluteUri, Is.EqualTo(uri));
            Assert.That(request.Authorization, Is.EqualTo("Bearer " + GraphTestHost.Token));
            Assert.That(request.ContentType, Is.EqualTo("application/json"));
            Assert.That(JsonNode.DeepEquals(body, expectedBody), Is.True, $"Body {request.Body} is not {expectedBody.ToJsonString()}.");
        }
    }
}
