using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Tests.Http;
using RichardSzalay.MockHttp;

namespace PresenceKeepAlive.Tests.Protocol;

/// <summary>Preferred presence, the status message and reads on the wire, through the real DI graph, SDK and gate.</summary>
public class UserOperationsRequestTests
{
    private const string PresenceBase = GraphTestHost.GraphBase + "/users/" + GraphTestHost.UserId + "/presence/";

    [TestCase("DoNotDisturb", "DoNotDisturb", "P1D")]
    [TestCase("Busy", "Busy", "P1D")]
    [TestCase("Available", "Available", "P7D")]
    [TestCase("Away", "Away", "P7D")]
    [TestCase("BeRightBack", "BeRightBack", "P7D")]
    [TestCase("Offline", "OffWork", "P7D")]
    public async Task SetPreferredPresenceAsync_NoExpiration_PostsThePairWithGraphsDefaultExpiry(string availability, string activity, string expiry)
    {
        using var host = CreateSut();
        Expect(host, PresenceBase + "setUserPreferredPresence");
        var session = Manager(host).GetOrCreate(GraphTestHost.UserId);

        await session.SetPreferredPresenceAsync(PreferredPresence.Parse(availability, activity)).WaitAsync(GraphTestHost.Generous);

        host.Mock.VerifyNoOutstandingExpectation();
        GraphPresenceProtocolRequestTests.AssertRequest(host.Requests.Last, HttpMethod.Post, PresenceBase + "setUserPreferredPresence", new JsonObject
        {
            ["availability"] = availability,
            ["activity"] = activity,
            ["expirationDuration"] = expiry,
        });
    }

    [Test]
    public async Task SetPreferredPresenceAsync_Expiration_SendsItAsIso8601AndTakesAPlaceInTheGate()
    {
        using var host = CreateSut();
        Expect(host, PresenceBase + "setUserPreferredPresence");
        var gate = host.Provider.GetRequiredService<RequestGate>();
        var before = gate.Entered;

        await Manager(host).GetOrCreate(GraphTestHost.UserId)
            .SetPreferredPresenceAsync(PreferredPresence.DoNotDisturb, TimeSpan.FromMinutes(90)).WaitAsync(GraphTestHost.Generous);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(JsonNode.Parse(host.Requests.Last.Body!)!["expirationDuration"]!.GetValue<string>(), Is.EqualTo("PT1H30M"));
            Assert.That(gate.Entered - before, Is.EqualTo(1), "the request passed the app's rate gate");
        }
    }

    [TestCase(0)]
    [TestCase(-5)]
    [TestCase(60 * 24 * 31)]
    public void SetPreferredPresenceAsync_ExpirationOutOfRange_ThrowsSayingTheRangeAndSendsNothing(int minutes)
    {
        using var host = CreateSut();
        var any = host.RespondAlways(HttpStatusCode.OK);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Manager(host).GetOrCreate(GraphTestHost.UserId).SetPreferredPresenceAsync(PreferredPresence.Away, TimeSpan.FromMinutes(minutes)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Message, Does.Contain("at most 30 days"));
            Assert.That(host.Mock.GetMatchCount(any), Is.Zero);
        }
    }

    [Test]
    public async Task ClearPreferredPresenceAsync_PostsClearUserPreferredPresence()
    {
        using var host = CreateSut();
        Expect(host, PresenceBase + "clearUserPreferredPresence");

        await Manager(host).GetOrCreate(GraphTestHost.UserId).ClearPreferredPresenceAsync().WaitAsync(GraphTestHost.Generous);

        host.Mock.VerifyNoOutstandingExpectation();
        Assert.That(host.Requests.Last.Method, Is.EqualTo(HttpMethod.Post));
    }

    [Test]
    public async Task SetStatusMessageAsync_WithExpiry_PostsTextContentAndUtcExpiry()
    {
        using var host = CreateSut();
        Expect(host, PresenceBase + "setStatusMessage");
        var expires = host.Time.GetUtcNow().AddHours(2);

        await Manager(host).GetOrCreate(GraphTestHost.UserId)
            .SetStatusMessageAsync(new PresenceStatusMessage("On a customer call <b>until</b> 3", expires)).WaitAsync(GraphTestHost.Generous);

        host.Mock.VerifyNoOutstandingExpectation();
        GraphPresenceProtocolRequestTests.AssertRequest(host.Requests.Last, HttpMethod.Post, PresenceBase + "setStatusMessage", new JsonObject
        {
            ["statusMessage"] = new JsonObject
            {
                ["message"] = new JsonObject { ["content"] = "On a customer call <b>until</b> 3", ["contentType"] = "text" },
                ["expiryDateTime"] = new JsonObject
                {
                    ["dateTime"] = expires.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", System.Globalization.CultureInfo.InvariantCulture),
                    ["timeZone"] = "UTC",
                },
            },
        });
    }

    [Test]
    public async Task ClearStatusMessageAsync_PostsEmptyTextContent()
    {
        using var host = CreateSut();
        Expect(host, PresenceBase + "setStatusMessage");

        await Manager(host).GetOrCreate(GraphTestHost.UserId).ClearStatusMessageAsync().WaitAsync(GraphTestHost.Generous);

        GraphPresenceProtocolRequestTests.AssertRequest(host.Requests.Last, HttpMethod.Post, PresenceBase + "setStatusMessage", new JsonObject
        {
            ["statusMessage"] = new JsonObject
            {
                ["message"] = new JsonObject { ["content"] = string.Empty, ["contentType"] = "text" },
            },
        });
    }

    [Test]
    public void SetStatusMessageAsync_ExpiryInThePast_ThrowsAndSendsNothing()
    {
        using var host = CreateSut();
        var any = host.RespondAlways(HttpStatusCode.OK);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Manager(host).GetOrCreate(GraphTestHost.UserId)
            .SetStatusMessageAsync(new PresenceStatusMessage("Back soon", host.Time.GetUtcNow().AddMinutes(-1))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Message, Does.Contain("has already passed"));
            Assert.That(host.Mock.GetMatchCount(any), Is.Zero);
        }
    }

    [Test]
    public async Task SignedInUser_SetAndPreferredAndMessage_GoToTheMePaths()
    {
        using var host = CreateSut();
        var me = GraphTestHost.GraphBase + "/me/presence/";
        Expect(host, me + "setPresence");
        Expect(host, me + "setUserPreferredPresence");
        Expect(host, me + "setStatusMessage");
        var session = Manager(host).GetOrCreate(PresenceUserIds.Me);

        await session.SetAsync(PresenceState.BusyInACall).WaitAsync(GraphTestHost.Generous);
        await session.SetPreferredPresenceAsync(PreferredPresence.BeRightBack).WaitAsync(GraphTestHost.Generous);
        await session.SetStatusMessageAsync(new PresenceStatusMessage("Lunch")).WaitAsync(GraphTestHost.Generous);

        host.Mock.VerifyNoOutstandingExpectation();
        Assert.That(host.Requests.All.Select(r => r.Uri.AbsolutePath), Is.EqualTo(new[]
        {
            "/v1.0/me/presence/setPresence", "/v1.0/me/presence/setUserPreferredPresence", "/v1.0/me/presence/setStatusMessage",
        }));
    }

    [Test]
    public async Task GetPresencesAsync_1300Users_TwoCallsOf650IdsAndOneReadingPerUser()
    {
        using var host = CreateSut();
        var ids = Enumerable.Range(0, 1300).Select(i => $"6e7f8a9b-0c1d-4e2f-8a3b-{i:x12}").ToArray();
        host.Mock.When(HttpMethod.Post, GraphTestHost.GraphBase + "/communications/getPresencesByUserId").Respond(request =>
        {
            var recorded = host.Requests.Record(request);
            var asked = JsonNode.Parse(recorded.Body!)!["ids"]!.AsArray().Select(n => n!.GetValue<string>());
            var value = new JsonArray(asked.Select(id => (JsonNode)new JsonObject { ["id"] = id, ["availability"] = "Busy", ["activity"] = "InACall" }).ToArray());
            var body = new JsonObject { ["value"] = value }.ToJsonString();
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        });

        var seen = await Manager(host).GetPresencesAsync(ids).WaitAsync(GraphTestHost.Generous);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(host.Requests.All.Select(r => JsonNode.Parse(r.Body!)!["ids"]!.AsArray().Count), Is.EqualTo(new[] { 650, 650 }));
            Assert.That(seen.Select(s => s.UserId), Is.EqualTo(ids));
            Assert.That(seen.All(s => s.Shows(PresenceState.BusyInACall)), Is.True);
        }
    }

    [Test]
    public async Task GetPresencesAsync_InvalidId_ThrowsNamingItAndSendsNothing()
    {
        using var host = CreateSut();
        var any = host.RespondAlways(HttpStatusCode.OK);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Manager(host).GetPresencesAsync([GraphTestHost.UserId, "a/b@contoso.com"]));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Message, Does.Contain("user principal name"));
            Assert.That(host.Mock.GetMatchCount(any), Is.Zero);
        }
    }

    [Test]
    public async Task GetPresencesAsync_UserPrincipalName_ThrowsNamingItAsNotAnObjectIdAndSendsNothing()
    {
        using var host = CreateSut();
        var any = host.RespondAlways(HttpStatusCode.OK);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Manager(host).GetPresencesAsync([GraphTestHost.UserId, "adele@contoso.com"]));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Message, Does.Contain("'adele@contoso.com'").And.Contain("object id"));
            Assert.That(ex.ParamName, Is.EqualTo("userIds"));
            Assert.That(host.Mock.GetMatchCount(any), Is.Zero);
        }
    }

    [Test]
    public async Task GetPresencesAsync_AnswerInAnotherOrderOrUnknownIds_MapsByReturnedIdOnly()
    {
        using var host = CreateSut();
        const string Other = "11111111-2222-4333-8444-555555555555";
        const string Stranger = "99999999-8888-4777-8666-555555555555";
        host.Mock.When(HttpMethod.Post, GraphTestHost.GraphBase + "/communications/getPresencesByUserId").Respond(request =>
        {
            host.Requests.Record(request);
            var value = new JsonArray(
                new JsonObject { ["id"] = Other, ["availability"] = "Away", ["activity"] = "Away" },
                new JsonObject { ["id"] = Stranger, ["availability"] = "Busy", ["activity"] = "InACall" },
                new JsonObject { ["availability"] = "DoNotDisturb", ["activity"] = "Presenting" });
            var body = new JsonObject { ["value"] = value }.ToJsonString();
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        });

        var seen = await Manager(host).GetPresencesAsync([GraphTestHost.UserId, Other]).WaitAsync(GraphTestHost.Generous);

        Assert.That(seen.Select(s => s.UserId + "=" + s.Availability), Is.EqualTo(new[] { Other + "=Away" }), "no reading is given to a user by its position");
    }

    [Test]
    public async Task SetPreferredPresenceAsync_PermissionDenied_ThrowsPresenceRequestExceptionWith403()
    {
        using var host = CreateSut();
        host.RespondInTurn(_ => new HttpResponseMessage(HttpStatusCode.Forbidden)
        {
            Content = new StringContent("{\"error\":{\"code\":\"Forbidden\",\"message\":\"\"}}", Encoding.UTF8, "application/json"),
        });

        var ex = await Assert.ThrowsAsync<PresenceRequestException>(() =>
            Manager(host).GetOrCreate(GraphTestHost.UserId).SetPreferredPresenceAsync(PreferredPresence.Busy).WaitAsync(GraphTestHost.Generous));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(ex.Operation, Is.EqualTo("setUserPreferredPresence"));
        }
    }

    private static IPresenceSessionManager Manager(GraphTestHost host) => host.Provider.GetRequiredService<IPresenceSessionManager>();

    private static GraphTestHost CreateSut() => GraphTestHost.Create();

    private static void Expect(GraphTestHost host, string uri) =>
        host.Mock.Expect(HttpMethod.Post, uri)
            .WithHeaders("Authorization", "Bearer " + GraphTestHost.Token)
            .Respond(request =>
            {
                host.Requests.Record(request);
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            });
}

/// <summary>One-shot requests wait for the gate like state changes, and a cancelled one is withdrawn unsent.</summary>
public class OneShotBudgetTests
{
    [Test]
    public async Task SetPreferredPresenceAsync_GateFull_WaitsAndIsWithdrawnUnsentWhenCancelled()
    {
        using var host = GraphTestHost.Create(o =>
        {
            o.RateLimitPerWindow = 1;
            o.RateLimitWindow = TimeSpan.FromSeconds(30);
        });
        host.RespondAlways(HttpStatusCode.OK);
        var session = host.Provider.GetRequiredService<IPresenceSessionManager>().GetOrCreate(GraphTestHost.UserId);
        await session.SetAsync(PresenceState.BusyInACall).WaitAsync(GraphTestHost.Generous);
        using var cancel = new CancellationTokenSource();

        var preferred = session.SetPreferredPresenceAsync(PreferredPresence.DoNotDisturb, cancellationToken: cancel.Token);

        // The engine arms its clock for the moment the window frees a place: the request waits for the gate.
        var gateWait = await host.Time.WaitForTimerAsync(d => d > TimeSpan.FromSeconds(20) && d <= TimeSpan.FromSeconds(30), GraphTestHost.Generous);
        var waitedForTheGate = !preferred.IsCompleted && host.Requests.Count == 1;
        await cancel.CancelAsync();
        var thrown = await Assert.ThrowsAsync<TaskCanceledException>(() => preferred.WaitAsync(GraphTestHost.Generous));
        host.Time.Advance(TimeSpan.FromSeconds(31));

        // The window's one place is free again: a later request takes it only if the withdrawn one did not.
        await session.SetPreferredPresenceAsync(PreferredPresence.Busy).WaitAsync(GraphTestHost.Generous);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(gateWait, Is.GreaterThan(TimeSpan.Zero));
            Assert.That(waitedForTheGate, Is.True, "the budget had no place: the request waited");
            Assert.That(thrown, Is.Not.Null);
            Assert.That(host.Requests.All.Select(r => r.Uri.AbsolutePath.Split('/')[^1]), Is.EqualTo(new[] { "setPresence", "setUserPreferredPresence" }), "the withdrawn request was never sent");
            Assert.That(JsonNode.Parse(host.Requests.Last.Body!)!["availability"]!.GetValue<string>(), Is.EqualTo("Busy"), "the place went to the later request");
        }
    }
}
