using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class SetPresenceTests
{
    [Test]
    public async Task SetPresence_ValidPair_Returns200WithoutBodyAndSetsPresence()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();

        using var response = await sut.SetPresenceAsync(user, EmulatorHarness.NewId(), "Busy", "InACall", "PT1H");

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Empty);
        Assert.That(response.Headers.GetValues("request-id").Single(), Is.Not.Empty);
        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Busy/InACall"));
        Assert.That(sut.Presence(user), Is.EqualTo("Busy/InACall"));
    }

    [TestCase("Available", "Available")]
    [TestCase("Busy", "InACall")]
    [TestCase("Busy", "InAConferenceCall")]
    [TestCase("Away", "Away")]
    [TestCase("DoNotDisturb", "Presenting")]
    public async Task SetPresence_EachSupportedPair_IsShown(string availability, string activity)
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();

        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), availability, activity);

        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo($"{availability}/{activity}"));
    }

    [Test]
    public async Task SetPresence_PairInOtherCase_IsStoredInCanonicalCase()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();

        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "busy", "INACONFERENCECALL");

        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("Busy/InAConferenceCall"));
    }

    [TestCase("Busy", "Busy")]
    [TestCase("Available", "AvailableInactive")]
    [TestCase("Offline", "OffWork")]
    [TestCase("Busy", "InAMeeting")]
    public async Task SetPresence_UnsupportedPair_Returns400InvalidArgumentListingAllowedPairs(string availability, string activity)
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();

        using var response = await sut.SetPresenceAsync(user, EmulatorHarness.NewId(), availability, activity);
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("InvalidArgument"));
        Assert.That(error.Message, Does.Contain($"{availability}/{activity}"));
        Assert.That(error.Message, Does.Contain("Available/Available, Busy/InACall, Busy/InAConferenceCall, Away/Away, DoNotDisturb/Presenting"));
        Assert.That(sut.Presence(user), Is.EqualTo("Offline/Offline"));
    }

    [TestCase("{\"sessionId\":\"22553876-f5ab-4529-bffb-cfe50aa89f87\",\"availability\":\"Available\"}")]
    [TestCase("{\"sessionId\":\"22553876-f5ab-4529-bffb-cfe50aa89f87\",\"activity\":\"Available\"}")]
    public async Task SetPresence_AvailabilityOrActivityMissing_Returns400InvalidArgument(string body)
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.PostAsync($"users/{EmulatorHarness.NewId()}/presence/setPresence", body);
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("InvalidArgument"));
        Assert.That(error.Message, Does.Contain("required"));
    }

    [TestCase("PT4M59S")]
    [TestCase("PT4H0M1S")]
    [TestCase("P1D")]
    [TestCase("PT0S")]
    [TestCase("five minutes")]
    public async Task SetPresence_ExpirationDurationOutOfRange_Returns400WithGraphMessage(string duration)
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.SetPresenceAsync(EmulatorHarness.NewId(), EmulatorHarness.NewId(), "Available", "Available", duration);
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("InvalidArgument"));
        Assert.That(error.Message, Is.EqualTo("The provided [ExpirationDuration] is out of range."));
    }

    [TestCase("PT5M", 5)]
    [TestCase("PT1H30M", 90)]
    [TestCase("PT4H", 240)]
    public async Task SetPresence_ExpirationDurationInRange_SetsLease(string duration, int minutes)
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();

        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Busy", "InACall", duration);

        var session = sut.Emulator.GetSessions(user).Single();
        Assert.That(session.ExpiresAt - session.LastRefreshed, Is.EqualTo(TimeSpan.FromMinutes(minutes)));
    }

    [Test]
    public async Task SetPresence_WithoutExpirationDuration_LeaseIsFiveMinutes()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();

        await sut.SetPresenceOkAsync(user, EmulatorHarness.NewId(), "Busy", "InACall");

        var session = sut.Emulator.GetSessions(user).Single();
        Assert.That(session.LastRefreshed, Is.EqualTo(EmulatorHarness.Start));
        Assert.That(session.ExpiresAt, Is.EqualTo(EmulatorHarness.Start.AddMinutes(5)));
    }

    [TestCase("")]
    [TestCase("not-a-guid")]
    public async Task SetPresence_SessionIdNotAGuid_Returns400InvalidArgument(string sessionId)
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.SetPresenceAsync(EmulatorHarness.NewId(), sessionId, "Available", "Available");
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("InvalidArgument"));
        Assert.That(error.Message, Does.Contain("SessionId"));
    }

    [Test]
    public async Task SetPresence_SessionIdMissing_Returns400InvalidArgument()
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.PostAsync($"users/{EmulatorHarness.NewId()}/presence/setPresence", "{\"availability\":\"Available\",\"activity\":\"Available\"}");
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("InvalidArgument"));
    }

    [TestCase("{\"sessionId\":")]
    [TestCase("")]
    [TestCase("null")]
    [TestCase("{\"sessionId\":42}")]
    public async Task SetPresence_MalformedJson_Returns400BadRequest(string body)
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.PostAsync($"users/{EmulatorHarness.NewId()}/presence/setPresence", body);
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("BadRequest"));
    }

    [TestCase("not-a-user")]
    [TestCase("a@b@c")]
    [TestCase("@contoso.com")]
    public async Task SetPresence_UserIdNeitherGuidNorUpn_Returns404ResourceNotFound(string userId)
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.SetPresenceAsync(userId, EmulatorHarness.NewId(), "Available", "Available");
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(404));
        Assert.That(error.Code, Is.EqualTo("Request_ResourceNotFound"));
    }

    [Test]
    public async Task SetPresence_UpnUserId_IsAccepted()
    {
        await using var sut = await EmulatorHarness.StartAsync();

        await sut.SetPresenceOkAsync("adele.vance@contoso.com", EmulatorHarness.NewId(), "Away", "Away");

        Assert.That(await sut.GetPresenceAsync("Adele.Vance@contoso.com"), Is.EqualTo("Away/Away"));
    }

    [Test]
    public async Task SetPresence_OnBetaPath_IsVisibleOnV1Path()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        using var beta = EmulatorHarness.CreateClient(sut.Emulator.GraphBetaUrl, EmulatorHarness.Token);

        using var response = await beta.PostAsync(
            $"users/{user}/presence/setPresence",
            EmulatorHarness.Json($"{{\"sessionId\":\"{EmulatorHarness.NewId()}\",\"availability\":\"DoNotDisturb\",\"activity\":\"Presenting\"}}"));

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(await sut.GetPresenceAsync(user), Is.EqualTo("DoNotDisturb/Presenting"));
    }

    [Test]
    public async Task SetPresence_SameSessionTwice_KeepsOneSessionWithLatestState()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();
        var session = EmulatorHarness.NewId();

        await sut.SetPresenceOkAsync(user, session, "Busy", "InACall");
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await sut.SetPresenceOkAsync(user, session.ToUpperInvariant(), "Available", "Available");

        var sessions = sut.Emulator.GetSessions(user);
        Assert.That(sessions, Has.Count.EqualTo(1));
        Assert.That(sessions[0].Availability, Is.EqualTo("Available"));
        Assert.That(sessions[0].LastRefreshed, Is.EqualTo(EmulatorHarness.Start.AddMinutes(1)));
    }

    [Test]
    public async Task AnyRequest_UnknownGraphPath_Returns400BadRequest()
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.Client.GetAsync("users/someone@contoso.com/calendar");
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("BadRequest"));
        Assert.That(sut.Emulator.Counters.GetCount(EmulatorOperation.Unknown), Is.EqualTo(1));
    }
}
