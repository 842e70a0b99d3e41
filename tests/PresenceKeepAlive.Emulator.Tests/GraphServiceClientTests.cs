using Microsoft.Graph;
using Microsoft.Graph.Communications.GetPresencesByUserId;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Graph.Users.Item.Presence.ClearPresence;
using Microsoft.Graph.Users.Item.Presence.SetPresence;
using Microsoft.Graph.Users.Item.Presence.SetUserPreferredPresence;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;
using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

/// <summary>The official SDK (Microsoft.Graph 6.10.0) pointed at the emulator must work unchanged.</summary>
public class GraphServiceClientTests
{
    private static readonly Dictionary<string, ParsableFactory<IParsable>> ErrorMapping = new()
    {
        ["XXX"] = ODataError.CreateFromDiscriminatorValue,
    };

    [Test]
    public async Task SetPresence_ThenGetAsync_RoundTrips()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var httpClient = CreateHttpClient();
        var graph = CreateClient(sut, httpClient);
        var user = EmulatorHarness.NewId();
        var session = EmulatorHarness.NewId();

        await graph.Users[user].Presence.SetPresence.PostAsync(new SetPresencePostRequestBody
        {
            SessionId = session,
            Availability = "Busy",
            Activity = "InACall",
            ExpirationDuration = TimeSpan.FromMinutes(30),
        });
        var presence = await graph.Users[user].Presence.GetAsync();

        Assert.That(presence?.Id, Is.EqualTo(user));
        Assert.That(presence?.Availability, Is.EqualTo("Busy"));
        Assert.That(presence?.Activity, Is.EqualTo("InACall"));
        var stored = sut.Emulator.GetSessions(user).Single();
        Assert.That(stored.SessionId, Is.EqualTo(session));
        Assert.That(stored.ExpiresAt - stored.LastRefreshed, Is.EqualTo(TimeSpan.FromMinutes(30)), "the SDK's TimeSpan is read as ISO 8601");
    }

    [Test]
    public async Task ClearPresence_AfterSetPresence_UserIsOffline()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var httpClient = CreateHttpClient();
        var graph = CreateClient(sut, httpClient);
        var user = EmulatorHarness.NewId();
        var session = EmulatorHarness.NewId();
        await graph.Users[user].Presence.SetPresence.PostAsync(new SetPresencePostRequestBody { SessionId = session, Availability = "Available", Activity = "Available" });

        await graph.Users[user].Presence.ClearPresence.PostAsync(new ClearPresencePostRequestBody { SessionId = session });
        var presence = await graph.Users[user].Presence.GetAsync();

        Assert.That(presence?.Availability, Is.EqualTo("Offline"));
        Assert.That(presence?.Activity, Is.EqualTo("Offline"));
    }

    [Test]
    public async Task ClearPresence_UnknownSession_ThrowsODataError404()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var httpClient = CreateHttpClient();
        var graph = CreateClient(sut, httpClient);

        var error = await Assert.ThrowsAsync<ODataError>(() =>
            graph.Users[EmulatorHarness.NewId()].Presence.ClearPresence.PostAsync(new ClearPresencePostRequestBody { SessionId = EmulatorHarness.NewId() }));

        Assert.That(error!.ResponseStatusCode, Is.EqualTo(404));
        Assert.That(error.Error?.Code, Is.EqualTo("NotFound"));
    }

    [Test]
    public async Task SetUserPreferredPresence_ThenClear_RoundTrips()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var httpClient = CreateHttpClient();
        var graph = CreateClient(sut, httpClient);
        var user = EmulatorHarness.NewId();
        await graph.Users[user].Presence.SetPresence.PostAsync(new SetPresencePostRequestBody { SessionId = EmulatorHarness.NewId(), Availability = "Available", Activity = "Available" });

        await graph.Users[user].Presence.SetUserPreferredPresence.PostAsync(new SetUserPreferredPresencePostRequestBody
        {
            Availability = "DoNotDisturb",
            Activity = "DoNotDisturb",
            ExpirationDuration = TimeSpan.FromHours(8),
        });
        var preferred = await graph.Users[user].Presence.GetAsync();
        await graph.Users[user].Presence.ClearUserPreferredPresence.PostAsync();
        var cleared = await graph.Users[user].Presence.GetAsync();

        Assert.That(preferred?.Availability, Is.EqualTo("DoNotDisturb"));
        Assert.That(cleared?.Availability, Is.EqualTo("Available"));
    }

    [Test]
    public async Task GetPresencesByUserId_SeveralUsers_ReturnsEachPresence()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var httpClient = CreateHttpClient();
        var graph = CreateClient(sut, httpClient);
        var busy = EmulatorHarness.NewId();
        var offline = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(busy, EmulatorHarness.NewId(), "Busy", "InAConferenceCall");

        var response = await graph.Communications.GetPresencesByUserId.PostAsGetPresencesByUserIdPostResponseAsync(
            new GetPresencesByUserIdPostRequestBody { Ids = [busy, offline] });

        Assert.That(response?.Value?.Select(p => $"{p.Id}={p.Availability}/{p.Activity}"), Is.EqualTo(new[]
        {
            $"{busy}=Busy/InAConferenceCall",
            $"{offline}=Offline/Offline",
        }));
    }

    [Test]
    public async Task SetPresence_InvalidPair_ThrowsODataErrorWithInvalidArgument()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var httpClient = CreateHttpClient();
        var graph = CreateClient(sut, httpClient);

        var error = await Assert.ThrowsAsync<ODataError>(() => graph.Users[EmulatorHarness.NewId()].Presence.SetPresence.PostAsync(
            new SetPresencePostRequestBody { SessionId = EmulatorHarness.NewId(), Availability = "Busy", Activity = "Busy" }));

        Assert.That(error!.ResponseStatusCode, Is.EqualTo(400));
        Assert.That(error.Error?.Code, Is.EqualTo("InvalidArgument"));
        Assert.That(error.Error?.Message, Does.Contain("Busy/InACall"));
        Assert.That(Guid.TryParse(error.Error?.InnerError?.RequestId, out _), Is.True);
        Assert.That(error.Error?.InnerError?.ClientRequestId, Is.Not.Empty);
    }

    [Test]
    public async Task SetPresence_ExpirationDurationOutOfRange_ThrowsODataErrorWithGraphMessage()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var httpClient = CreateHttpClient();
        var graph = CreateClient(sut, httpClient);

        var error = await Assert.ThrowsAsync<ODataError>(() => graph.Users[EmulatorHarness.NewId()].Presence.SetPresence.PostAsync(
            new SetPresencePostRequestBody { SessionId = EmulatorHarness.NewId(), Availability = "Available", Activity = "Available", ExpirationDuration = TimeSpan.FromHours(5) }));

        Assert.That(error!.ResponseStatusCode, Is.EqualTo(400));
        Assert.That(error.Error?.Message, Is.EqualTo("The provided [ExpirationDuration] is out of range."));
    }

    [Test]
    public async Task GetAsync_WithoutToken_ThrowsODataError401()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var httpClient = CreateHttpClient();
        var graph = new GraphServiceClient(httpClient, authenticationProvider: null, baseUrl: BaseUrl(sut));

        var error = await Assert.ThrowsAsync<ODataError>(() => graph.Users[EmulatorHarness.NewId()].Presence.GetAsync());

        Assert.That(error!.ResponseStatusCode, Is.EqualTo(401));
        Assert.That(error.Error?.Code, Is.EqualTo("InvalidAuthenticationToken"));
    }

    [Test]
    public async Task GetAsync_InjectedThrottlingWithoutRetryHandler_SurfacesRetryAfterOnODataError()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        using var httpClient = CreateHttpClient();
        var graph = CreateClient(sut, httpClient);
        sut.Emulator.AddFault(new FaultRule { StatusCode = 429, RetryAfter = TimeSpan.FromSeconds(12), Count = 1 });

        var error = await Assert.ThrowsAsync<ODataError>(() => graph.Users[EmulatorHarness.NewId()].Presence.GetAsync());

        Assert.That(error!.ResponseStatusCode, Is.EqualTo(429));
        Assert.That(error.Error?.Code, Is.EqualTo("TooManyRequests"));
        Assert.That(error.ResponseHeaders["Retry-After"], Is.EqualTo(new[] { "12" }));
        Assert.That(sut.Emulator.Counters.GetCount(EmulatorOperation.GetPresence), Is.EqualTo(1), "no hidden retry");
    }

    [Test]
    public async Task SeedPatch_ThroughRequestAdapter_SetsAndSignsOffSession()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.Mode = PresenceEmulatorMode.Seed);
        using var httpClient = CreateHttpClient();
        var graph = CreateClient(sut, httpClient);
        var user = EmulatorHarness.NewId();

        await SendSeedPatchAsync(graph, user, "Available", "Available");
        var set = sut.Presence(user);
        await SendSeedPatchAsync(graph, user, "Offline", "Offline");

        Assert.That(set, Is.EqualTo("Available/Available"));
        Assert.That(sut.Presence(user), Is.EqualTo("Offline/Offline"));
        Assert.That(sut.Emulator.Counters.GetCount(EmulatorOperation.PatchPresence), Is.EqualTo(2));
    }

    [Test]
    public async Task SeedPatch_InvalidPairThroughRequestAdapter_ThrowsODataError()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.Mode = PresenceEmulatorMode.Seed);
        using var httpClient = CreateHttpClient();
        var graph = CreateClient(sut, httpClient);

        var error = await Assert.ThrowsAsync<ODataError>(() => SendSeedPatchAsync(graph, EmulatorHarness.NewId(), "DoNotDisturb", "Presenting"));

        Assert.That(error!.ResponseStatusCode, Is.EqualTo(400));
        Assert.That(error.Error?.Code, Is.EqualTo("InvalidArgument"));
    }

    /// <summary>The SDK's default handlers minus Kiota's RetryHandler, whose real-time back-off tests must not wait for.</summary>
    private static HttpClient CreateHttpClient()
    {
        var handlers = GraphClientFactory.CreateDefaultHandlers();
        var retry = handlers.Single(h => h is RetryHandler);
        handlers.Remove(retry);
        retry.Dispose();
        return GraphClientFactory.Create(handlers);
    }

    private static string BaseUrl(EmulatorHarness sut) => sut.Emulator.GraphV1Url.ToString().TrimEnd('/');

    private static GraphServiceClient CreateClient(EmulatorHarness sut, HttpClient httpClient) =>
        new(httpClient, new FixedTokenAuthenticationProvider("fake-token"), BaseUrl(sut));

    private static Task SendSeedPatchAsync(GraphServiceClient graph, string user, string availability, string activity)
    {
        var request = new RequestInformation(Method.PATCH, "{+baseurl}/users/{user%2Did}/presence", new Dictionary<string, object> { ["user%2Did"] = user });
        request.SetContentFromParsable(graph.RequestAdapter, "application/json", new Presence { Availability = availability, Activity = activity });
        return graph.RequestAdapter.SendNoContentAsync(request, ErrorMapping);
    }
}
