using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.Orleans.Grains;
using PresenceKeepAlive.Orleans.Tests.Infrastructure;

namespace PresenceKeepAlive.Orleans.Tests;

/// <summary>
/// The application's side of the distributed mode on a two-silo cluster against the emulator: the same
/// <see cref="IPresenceSessionManager"/> as in one process, errors before anything is sent, sign-off semantics, and what
/// grain storage keeps.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ClusterSessionTests
{
    private PresenceCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        _cluster = await PresenceCluster.StartAsync(silos: 2, o => o.Sessions.Add(new PresenceSessionSettings { UserId = PresenceCluster.User(9100), Availability = "Busy", Activity = "InACall" }));

    [OneTimeTearDown]
    public async Task StopAsync() => await _cluster.DisposeAsync();

    [Test]
    public async Task SetAsync_ThroughTheClient_IsAcceptedAndStoredBeforeItIsSent()
    {
        var session = _cluster.Manager.GetOrCreate(PresenceCluster.User(9001));
        await session.SetAsync(PresenceState.BusyInACall);
        Assert.Multiple(() =>
        {
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(session.DesiredState, Is.EqualTo(PresenceState.BusyInACall));
            Assert.That(session.LastConfirmedAt, Is.Not.Null);
            Assert.That(session.NextRefreshAt, Is.GreaterThan(session.LastConfirmedAt!.Value));
            Assert.That(Describe(_cluster.Emulator.GetPresence(PresenceCluster.User(9001))), Is.EqualTo("Busy/InACall"));
            Assert.That(Stored(9001), Is.EqualTo((SessionDesire.Wanted, "Busy", "InACall", true)));
        });
    }

    [Test]
    public async Task ConfiguredSession_IsSetOnceByTheSilosAndKeptInTheCluster()
    {
        // Both silos set it on start; the second finds the cluster already keeps it.
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        while (Describe(_cluster.Emulator.GetPresence(PresenceCluster.User(9100))) != "Busy/InACall" && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        var session = (Client.ClusterPresenceSession)_cluster.Manager.GetOrCreate(PresenceCluster.User(9100));
        await session.RefreshAsync();
        Assert.Multiple(() =>
        {
            Assert.That(Describe(_cluster.Emulator.GetPresence(PresenceCluster.User(9100))), Is.EqualTo("Busy/InACall"));
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(Stored(9100).Desire, Is.EqualTo(SessionDesire.Wanted));
            Assert.That(_cluster.Emulator.GetHistory(PresenceCluster.User(9100)).Count(c => c.Availability == "Busy"), Is.EqualTo(1), "times it became Busy");
        });
    }

    [Test]
    public async Task SetAsync_StateTheProtocolCannotSet_IsRefusedBeforeAnythingIsStoredOrSent()
    {
        var before = _cluster.Emulator.Counters.TotalRequests;
        var session = _cluster.Manager.GetOrCreate(PresenceCluster.User(9002));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => session.SetAsync(PresenceState.Offline));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("Offline").And.Contain("Allowed"));
            Assert.That(_cluster.Emulator.Counters.TotalRequests, Is.EqualTo(before), "requests sent");
            Assert.That(Stored(9002).Desire, Is.EqualTo(SessionDesire.None), "desire stored");
        });
    }

    [Test]
    public void GetOrCreate_InvalidUserId_Throws() =>
        Assert.Throws<ArgumentException>(() => _cluster.Manager.GetOrCreate("not a user"));

    [Test]
    public void GetManager_UnknownRegistration_ListsTheKnownOnes()
    {
        var provider = _cluster.Cluster.Client.ServiceProvider.GetRequiredService<IPresenceSessionManagerProvider>();
        var error = Assert.Throws<KeyNotFoundException>(() => provider.GetManager("fabrikam"));
        Assert.That(error!.Message, Does.Contain("'fabrikam'").And.Contain("'contoso'"));
    }

    [Test]
    public async Task InTheSilo_TheKeyedManagerIsTheClusterOne()
    {
        var silo = _cluster.Cluster.Silos[0].ServiceProvider;
        var manager = silo.GetRequiredKeyedService<IPresenceSessionManager>(PresenceCluster.Registration);
        await manager.GetOrCreate(PresenceCluster.User(9003)).SetAsync(PresenceState.Available);

        // A session set in a silo is the same cluster session the client sees.
        var fromClient = _cluster.Manager.GetOrCreate(PresenceCluster.User(9003));
        await ((Client.ClusterPresenceSession)fromClient).RefreshAsync();
        Assert.Multiple(() =>
        {
            Assert.That(manager, Is.TypeOf<Client.ClusterPresenceSessionManager>());
            Assert.That(fromClient.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(Describe(_cluster.Emulator.GetPresence(PresenceCluster.User(9003))), Is.EqualTo("Available/Available"));
        });
    }

    [Test]
    public async Task DisposeAsync_SignsOffAndForgetsTheSession()
    {
        var session = _cluster.Manager.GetOrCreate(PresenceCluster.User(9004));
        await session.SetAsync(PresenceState.Available);
        var clears = _cluster.Emulator.Counters.GetCount(EmulatorOperation.ClearPresence);
        await session.DisposeAsync();
        Assert.Multiple(() =>
        {
            Assert.That(_cluster.Emulator.Counters.GetCount(EmulatorOperation.ClearPresence), Is.EqualTo(clears + 1));
            Assert.That(Describe(_cluster.Emulator.GetPresence(PresenceCluster.User(9004))), Is.EqualTo("Offline/Offline"));
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Disposed));
            Assert.That(_cluster.Manager.TryGet(PresenceCluster.User(9004), out _), Is.False);
            Assert.That(Stored(9004).Desire, Is.EqualTo(SessionDesire.None), "record cleared");
        });
        await Assert.ThrowsAsync<ObjectDisposedException>(() => session.SetAsync(PresenceState.Available));
    }

    [Test]
    public async Task ClearAsync_OfASessionNeverSet_SendsNothing()
    {
        var clears = _cluster.Emulator.Counters.GetCount(EmulatorOperation.ClearPresence);
        var session = _cluster.Manager.GetOrCreate(PresenceCluster.User(9005));
        await session.ClearAsync();
        Assert.Multiple(() =>
        {
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Cleared));
            Assert.That(_cluster.Emulator.Counters.GetCount(EmulatorOperation.ClearPresence), Is.EqualTo(clears));
        });
    }

    [Test]
    public async Task SignOffAsync_OfAUserNotKept_SendsAClear()
    {
        var clears = _cluster.Emulator.Counters.GetCount(EmulatorOperation.ClearPresence);
        await _cluster.Manager.SignOffAsync(PresenceCluster.User(9006));
        Assert.That(_cluster.Emulator.Counters.GetCount(EmulatorOperation.ClearPresence), Is.EqualTo(clears + 1));
    }

    [Test]
    public async Task GetPresencesAsync_ReadsThroughASilo()
    {
        await _cluster.Manager.GetOrCreate(PresenceCluster.User(9007)).SetAsync(PresenceState.BusyInAConferenceCall);
        var seen = await _cluster.Manager.GetPresencesAsync([PresenceCluster.User(9007)]);
        Assert.That(seen.Select(s => $"{s.UserId}:{s.Availability}/{s.Activity}"), Is.EqualTo(new[] { $"{PresenceCluster.User(9007)}:Busy/InAConferenceCall" }));
    }

    [Test]
    public async Task GetPresencesAsync_UserPrincipalName_IsRefusedBeforeAnythingIsSent() =>
        await Assert.ThrowsAsync<ArgumentException>(() => _cluster.Manager.GetPresencesAsync(["adele@contoso.com"]));

    [Test]
    public async Task StatusMessage_GoesThroughTheHoldersEngine()
    {
        var session = _cluster.Manager.GetOrCreate(PresenceCluster.User(9008));
        await session.SetAsync(PresenceState.Available);
        await session.SetStatusMessageAsync(new PresenceStatusMessage("On the phones until 5"));
        Assert.That(_cluster.Emulator.Counters.GetCount(EmulatorOperation.SetStatusMessage), Is.GreaterThanOrEqualTo(1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => session.SetPreferredPresenceAsync(PreferredPresence.Busy, TimeSpan.FromDays(31)));
    }

    private (SessionDesire Desire, string? Availability, string? Activity, bool InBucket) Stored(int user)
    {
        var id = global::Orleans.Runtime.GrainId.Create("presencesession", Internal.SessionKeys.Session(PresenceCluster.Registration, PresenceCluster.User(user)));
        return _cluster.Storage.TryGet<SessionRecord>("session", id, out var record)
            ? (record.Desire, record.Availability, record.Activity, record.InBucket)
            : (SessionDesire.None, null, null, false);
    }

    private static string Describe(EmulatedPresence presence) => presence.Availability + "/" + presence.Activity;
}
