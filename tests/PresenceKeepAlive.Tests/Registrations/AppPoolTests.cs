using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using PresenceKeepAlive.Registrations.Internal;

namespace PresenceKeepAlive.Tests.Registrations;

/// <summary>Several app registrations for one tenant: each user kept by one app, moved with sign-off first.</summary>
public class AppPoolTests
{
    private const string AppC = "a3333333-0000-4000-8000-000000000003";
    private const int Users = 90;

    private static string User(int i) => $"0a1b2c3d-0000-4000-9000-{i:x12}";

    private static (IHost Host, RecordingGraphHandler Graph, FakeLogCollector Logs) CreateHost(int users, int? rateLimit = null, Func<RecordingGraphHandler, HttpMessageHandler>? primary = null, bool signOffOnDispose = true)
    {
        var settings = new Dictionary<string, string?>
        {
            ["PresenceKeepAlive:BaseUrl"] = NamedRegistrationTests.Emulator,
            ["PresenceKeepAlive:Tenants:big:TenantId"] = NamedRegistrationTests.Contoso,
            ["PresenceKeepAlive:Tenants:big:Apps:0:ClientId"] = NamedRegistrationTests.AppA,
            ["PresenceKeepAlive:Tenants:big:Apps:1:ClientId"] = NamedRegistrationTests.AppB,
        };
        if (rateLimit is { } limit)
        {
            settings["PresenceKeepAlive:Tenants:big:RateLimitPerWindow"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);

            // Signing a thousand users off at one a second would take the whole shutdown timeout.
            settings["PresenceKeepAlive:SignOffOnStop"] = "false";
            settings["PresenceKeepAlive:SignOffOnDispose"] = "false";
        }

        if (!signOffOnDispose)
        {
            settings["PresenceKeepAlive:SignOffOnDispose"] = "false";
        }

        for (var i = 0; i < users; i++)
        {
            settings[$"PresenceKeepAlive:Tenants:big:Sessions:{i}:UserId"] = User(i);
        }

        var graph = new RecordingGraphHandler();
        var logs = new FakeLogCollector();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(new FakeLoggerProvider(logs));
        builder.Services.AddPresenceRegistrations(builder.Configuration.GetSection("PresenceKeepAlive"), (_, p) => p.HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => primary?.Invoke(graph) ?? graph));
        return (builder.Build(), graph, logs);
    }

    [Test]
    public async Task UserLevelRequests_PooledSessionAndUnheldUser_GoThroughTheAppThatKeepsTheUser()
    {
        var (host, graph, _) = CreateHost(users: 0);
        using (host)
        using (graph)
        {
            await host.StartAsync();
            var pool = host.Services.GetRequiredKeyedService<IPresenceAppPool>("big");
            var held = pool.GetOrCreate(User(1));

            await held.SetStatusMessageAsync(new PresenceStatusMessage("On a call until 3 pm"));
            await held.SetPreferredPresenceAsync(PreferredPresence.DoNotDisturb);
            await pool.SignOffAsync(User(2));

            var requests = graph.Requests.ToList();
            Assert.That(requests.Select(r => r.Operation), Is.EqualTo(new[] { "setStatusMessage", "setUserPreferredPresence", "clearPresence" }));
            Assert.Multiple(() =>
            {
                Assert.That(requests[0].UserSegment, Is.EqualTo(User(1)));
                Assert.That((string?)NamedRegistrationTests.TokenPayload(requests[0])["appid"], Is.EqualTo(pool.GetClientId(User(1))));
                Assert.That((string?)NamedRegistrationTests.TokenPayload(requests[1])["appid"], Is.EqualTo(pool.GetClientId(User(1))));
                Assert.That(requests[2].UserSegment, Is.EqualTo(User(2)));
                Assert.That((string?)requests[2].Json!["sessionId"], Is.EqualTo(pool.GetClientId(User(2))), "the app that would keep the user");
                Assert.That((string?)NamedRegistrationTests.TokenPayload(requests[2])["appid"], Is.EqualTo(pool.GetClientId(User(2))));
            });
            await host.StopAsync();
        }
    }

    [Test]
    public async Task StartAsync_TwoApps_SetsEachUserThroughExactlyOneAppWithThatAppsToken()
    {
        var (host, graph, _) = CreateHost(Users);
        using (host)
        using (graph)
        {
            await host.StartAsync();
            await graph.WaitForRequestsAsync(Users);
            var pool = host.Services.GetRequiredKeyedService<IPresenceAppPool>("big");

            var sets = graph.Requests.Where(r => r.Operation == "setPresence").ToList();
            Assert.That(sets.Select(r => r.UserSegment).Distinct().Count(), Is.EqualTo(Users), "one set per user");
            foreach (var set in sets)
            {
                var sessionId = (string?)set.Json!["sessionId"];
                Assert.That(sessionId, Is.EqualTo(pool.GetClientId(set.UserSegment!)), set.UserSegment);
                Assert.That((string?)NamedRegistrationTests.TokenPayload(set)["appid"], Is.EqualTo(sessionId), "the app's own token");
            }

            var perApp = sets.GroupBy(r => (string?)r.Json!["sessionId"]).ToDictionary(g => g.Key!, g => g.Count());
            Assert.That(perApp.Keys, Is.EquivalentTo(new[] { NamedRegistrationTests.AppA, NamedRegistrationTests.AppB }));
            Assert.That(perApp.Values, Has.All.InRange(Users / 4, Users * 3 / 4));
            await host.StopAsync();
        }
    }

    [Test]
    public async Task AddAppAsync_ThirdApp_SignsEachMovedUserOffItsOldAppBeforeTheNewAppSetsIt()
    {
        var (host, graph, _) = CreateHost(Users);
        using (host)
        using (graph)
        {
            await host.StartAsync();
            await graph.WaitForRequestsAsync(Users);
            var pool = host.Services.GetRequiredKeyedService<IPresenceAppPool>("big");
            var before = Enumerable.Range(0, Users).ToDictionary(User, u => pool.GetClientId(User(u)));
            var held = pool.GetOrCreate(User(0));

            var moved = await pool.AddAppAsync(new PresenceAppRegistration { ClientId = AppC });

            var after = Enumerable.Range(0, Users).ToDictionary(User, u => pool.GetClientId(User(u)));
            var movedUsers = after.Where(p => p.Value != before[p.Key]).Select(p => p.Key).ToList();
            Assert.That(moved, Is.EqualTo(movedUsers.Count));
            Assert.That(moved, Is.InRange(Users / 6, Users / 2), "about a third");
            Assert.That(movedUsers.Select(u => after[u]), Has.All.EqualTo(AppC), "users move only to the new app");
            Assert.That(pool.ClientIds, Is.EqualTo(new[] { NamedRegistrationTests.AppA, NamedRegistrationTests.AppB, AppC }));

            await graph.WaitForRequestsAsync(Users + (2 * moved));
            var requests = graph.Requests;
            foreach (var user in movedUsers)
            {
                var clear = requests.Select((r, i) => (r, i)).Single(x => x.r.UserSegment == user && x.r.Operation == "clearPresence");
                var set = requests.Select((r, i) => (r, i)).Single(x => x.r.UserSegment == user && x.r.Operation == "setPresence" && (string?)x.r.Json!["sessionId"] == AppC);
                Assert.That((string?)clear.r.Json!["sessionId"], Is.EqualTo(before[user]), "signed off from the old app");
                Assert.That(clear.i, Is.LessThan(set.i), $"{user}: signed off from the old app before the new app set it");
                Assert.That((string?)set.r.Json!["availability"], Is.EqualTo("Available"), "the desired state goes with the user");
            }

            Assert.That(requests.Where(r => r.Operation == "clearPresence").Select(r => r.UserSegment), Is.EquivalentTo(movedUsers), "no other user is touched");
            Assert.That(pool.Count, Is.EqualTo(Users));
            Assert.That(pool.Sessions.Select(s => s.Status), Has.All.EqualTo(PresenceSessionStatus.Active));
            Assert.That(pool.GetOrCreate(User(0)), Is.SameAs(held), "a session a caller holds stays valid across moves");
            await host.StopAsync();
        }
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task AddAppAsync_FirstSetsStillQueuedOrInFlight_OldAppClearsEachUserItSetBeforeTheNewAppSetsIt(bool signOffOnDispose)
    {
        GatedGraphHandler? gated = null;
        var (host, graph, _) = CreateHost(Users, primary: g => gated ??= new GatedGraphHandler(g, holding: true), signOffOnDispose: signOffOnDispose);
        using (host)
        using (graph)
        {
            var pool = host.Services.GetRequiredKeyedService<IPresenceAppPool>("big");
            await host.StartAsync();

            // The first sets: some in flight (their answers held), the rest still queued behind them.
            await graph.WaitForRequestsAsync(1);
            var before = Enumerable.Range(0, Users).ToDictionary(User, u => pool.GetClientId(User(u)));
            var adding = pool.AddAppAsync(new PresenceAppRegistration { ClientId = AppC });
            gated!.Release();
            var moved = await adding;

            var movedUsers = Enumerable.Range(0, Users).Select(User).Where(u => pool.GetClientId(u) == AppC).ToList();
            Assert.That(moved, Is.EqualTo(movedUsers.Count).And.GreaterThan(0));
            await IntegrationWait.UntilAsync(pool, () => pool.Sessions.All(s => s.Status == PresenceSessionStatus.Active), "every session is active");
            var events = gated.Events;
            foreach (var user in movedUsers)
            {
                var mine = events.Select((e, i) => (e.Answered, e.Request, Index: i)).Where(e => e.Request.UserSegment == user).ToList();
                var firstNewSet = mine.First(e => !e.Answered && e.Request.Operation == "setPresence" && (string?)e.Request.Json!["sessionId"] == AppC).Index;
                var oldSets = mine.Where(e => !e.Answered && e.Request.Operation == "setPresence" && (string?)e.Request.Json!["sessionId"] == before[user]).ToList();
                var oldClears = mine.Where(e => e.Answered && e.Request.Operation == "clearPresence" && (string?)e.Request.Json!["sessionId"] == before[user]).ToList();
                if (oldSets.Count > 0)
                {
                    Assert.That(oldClears, Is.Not.Empty, $"{user}: set by its old app, so signed off there");
                    Assert.That(oldClears[^1].Index, Is.GreaterThan(oldSets[^1].Index), $"{user}: the old app's clear came after its last set");
                    Assert.That(oldClears[0].Index, Is.LessThan(firstNewSet), $"{user}: the old app's clear was answered before the new app set it");
                }

                Assert.That(mine.Where(e => !e.Answered && (string?)e.Request.Json?["sessionId"] == before[user] && e.Index > firstNewSet), Is.Empty, $"{user}: nothing from the old app after the new app's set");
            }

            await host.StopAsync();
        }
    }

    [Test]
    public async Task AddAndRemoveAppAsync_CancelledWhileMovesRun_LetTheMovesFinishAndDisposeTheRemovedApp()
    {
        GatedGraphHandler? gated = null;
        var (host, graph, _) = CreateHost(Users, primary: g => gated ??= new GatedGraphHandler(g, holding: false));
        using (host)
        using (graph)
        {
            await host.StartAsync();
            await graph.WaitForRequestsAsync(Users);
            var pool = host.Services.GetRequiredKeyedService<IPresenceAppPool>("big");
            await IntegrationWait.UntilAsync(pool, () => pool.Sessions.All(s => s.Status == PresenceSessionStatus.Active), "every session is active");

            using (var cancelled = new CancellationTokenSource())
            {
                cancelled.Cancel();
                Assert.That(async () => await pool.AddAppAsync(new PresenceAppRegistration { ClientId = AppC }, cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
                Assert.That(pool.ClientIds, Is.EqualTo(new[] { NamedRegistrationTests.AppA, NamedRegistrationTests.AppB }), "cancelled before it started: nothing changed");
            }

            // Cancelled once its moves run (their sign-offs held): the change still completes.
            gated!.Hold();
            using (var cts = new CancellationTokenSource())
            {
                var adding = pool.AddAppAsync(new PresenceAppRegistration { ClientId = AppC }, cts.Token);
                cts.Cancel();
                gated.Release();
                var moved = await adding;
                Assert.That(moved, Is.GreaterThan(0));
            }

            var slots = ((PresenceAppPool)pool).Slots;
            var appB = slots.Single(s => s.ClientId == NamedRegistrationTests.AppB);
            gated.Hold();
            using (var cts = new CancellationTokenSource())
            {
                var removing = pool.RemoveAppAsync(NamedRegistrationTests.AppB, cts.Token);
                cts.Cancel();
                gated.Release();
                var moved = await removing;
                Assert.That(moved, Is.GreaterThan(0));
            }

            Assert.That(() => appB.Manager.GetOrCreate(User(0)), Throws.InstanceOf<ObjectDisposedException>(), "the removed app's engine is disposed");
            Assert.That(appB.Manager.Sessions, Is.Empty, "the removed app keeps no user alive");
            Assert.That(Enumerable.Range(0, Users).Select(u => pool.GetClientId(User(u))), Has.None.EqualTo(NamedRegistrationTests.AppB));
            await IntegrationWait.UntilAsync(pool, () => pool.Sessions.All(s => s.Status == PresenceSessionStatus.Active), "every session is active");
            Assert.That(pool.Sessions.Cast<PooledSession>().Select(s => s.Current), Has.All.Matches<IPresenceSession>(c => c!.Status == PresenceSessionStatus.Active));
            await host.StopAsync();
        }
    }

    [Test]
    public async Task PooledSession_DisposedOrCalledDuringItsMove_NewAppNeverKeepsTheDisposedUserAndOneShotsGoThroughTheNewApp()
    {
        GatedGraphHandler? gated = null;
        var (host, graph, _) = CreateHost(Users, primary: g => gated ??= new GatedGraphHandler(g, holding: false));
        using (host)
        using (graph)
        {
            await host.StartAsync();
            await graph.WaitForRequestsAsync(Users);
            var pool = host.Services.GetRequiredKeyedService<IPresenceAppPool>("big");
            await IntegrationWait.UntilAsync(pool, () => pool.Sessions.All(s => s.Status == PresenceSessionStatus.Active), "every session is active");

            // The moves' sign-offs held: the sessions moving stay mid-move until released.
            gated!.Hold();
            var adding = pool.AddAppAsync(new PresenceAppRegistration { ClientId = AppC });
            var moving = pool.Sessions.Cast<PooledSession>().Where(s => s.IsMoving).Take(2).ToList();
            Assert.That(moving, Has.Count.EqualTo(2), "two sessions mid-move");
            var disposed = moving[0];
            var messaged = moving[1];
            var disposing = disposed.DisposeAsync().AsTask();
            var message = messaged.SetStatusMessageAsync(new PresenceStatusMessage("Moving"));
            var signingOff = pool.SignOffAsync(messaged.UserId);
            gated.Release();
            await Task.WhenAll(adding, disposing, message, signingOff);

            var requests = graph.Requests;
            var appC = ((PresenceAppPool)pool).Slots.Single(s => s.ClientId == AppC);
            Assert.Multiple(() =>
            {
                Assert.That(requests.Where(r => r.UserSegment == disposed.UserId && r.Operation == "setPresence" && (string?)r.Json!["sessionId"] == AppC), Is.Empty, "the disposed user is never set by the new app");
                Assert.That(appC.Manager.TryGet(disposed.UserId, out _), Is.False, "the new app holds no session for it");
                Assert.That(pool.TryGet(disposed.UserId, out _), Is.False, "it left the pool");
                var status = requests.Single(r => r.UserSegment == messaged.UserId && r.Operation == "setStatusMessage");
                Assert.That((string?)NamedRegistrationTests.TokenPayload(status)["appid"], Is.EqualTo(AppC), "a one-shot during the move goes through the new app");
                var lastClear = requests.Last(r => r.UserSegment == messaged.UserId && r.Operation == "clearPresence");
                Assert.That((string?)lastClear.Json!["sessionId"], Is.EqualTo(AppC), "signed off through the app that keeps it after the move");
                Assert.That(messaged.Current.Status, Is.EqualTo(PresenceSessionStatus.Cleared));
            });
            await host.StopAsync();
        }
    }

    [Test]
    public async Task RemoveAppAsync_MovesOnlyItsUsersAndRefusesTheLastApp()
    {
        var (host, graph, _) = CreateHost(Users);
        using (host)
        using (graph)
        {
            await host.StartAsync();
            await graph.WaitForRequestsAsync(Users);
            var pool = host.Services.GetRequiredKeyedService<IPresenceAppPool>("big");
            var onB = Enumerable.Range(0, Users).Select(User).Where(u => pool.GetClientId(u) == NamedRegistrationTests.AppB).ToList();

            var moved = await pool.RemoveAppAsync(NamedRegistrationTests.AppB);
            await graph.WaitForRequestsAsync(Users + (2 * moved));

            Assert.That(moved, Is.EqualTo(onB.Count));
            Assert.That(onB.Select(pool.GetClientId), Has.All.EqualTo(NamedRegistrationTests.AppA));
            Assert.That(graph.Requests.Where(r => r.Operation == "clearPresence").Select(r => (string?)r.Json!["sessionId"]), Has.All.EqualTo(NamedRegistrationTests.AppB));
            var last = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.RemoveAppAsync(NamedRegistrationTests.AppA));
            Assert.That(last!.Message, Is.EqualTo($"App {NamedRegistrationTests.AppA} is the last app of registration 'big': a registration keeps at least one."));
            var unknown = await Assert.ThrowsAsync<ArgumentException>(() => pool.RemoveAppAsync(AppC));
            Assert.That(unknown!.Message, Does.StartWith($"Registration 'big' has no app {AppC}; its apps are {NamedRegistrationTests.AppA}."));
            await host.StopAsync();
        }
    }

    [Test]
    public async Task DisposeAsync_PooledSession_SignsOffThroughItsAppAndLeavesThePool()
    {
        var (host, graph, _) = CreateHost(2);
        using (host)
        using (graph)
        {
            await host.StartAsync();
            await graph.WaitForRequestsAsync(2);
            var pool = host.Services.GetRequiredKeyedService<IPresenceAppPool>("big");
            var session = pool.GetOrCreate(User(0));

            await session.DisposeAsync();

            var clear = graph.Requests.Single(r => r.Operation == "clearPresence");
            Assert.That(clear.UserSegment, Is.EqualTo(User(0)));
            Assert.That((string?)clear.Json!["sessionId"], Is.EqualTo(pool.GetClientId(User(0))));
            Assert.That(pool.TryGet(User(0), out _), Is.False);
            Assert.That(pool.Count, Is.EqualTo(1));
            Assert.That(pool.GetOrCreate(User(0)), Is.Not.SameAs(session), "a new session for the user");
            await host.StopAsync();
        }
    }

    [Test]
    public async Task StartAsync_MoreUsersThanTheAppsCarry_WarnsHowManyMoreAppRegistrationsTheyNeed()
    {
        // 30 requests per 30 s: one app carries 0.97 x 1/s x 300 s = 291 Available sessions; 1,000 need 4 apps.
        var (host, graph, logs) = CreateHost(1_000, rateLimit: 30);
        using (host)
        using (graph)
        {
            await host.StartAsync();

            var warning = logs.GetSnapshot().Single(r => r.Id.Id == 230);
            Assert.That(warning.Level, Is.EqualTo(LogLevel.Warning));
            Assert.That(warning.Message, Is.EqualTo(
                $"Registration big (tenant {NamedRegistrationTests.Contoso}): its 1000 sessions need about 4 app registrations at 291 Available sessions each within one app's rate budget, and 2 are configured: add 2 more app registrations to Apps."));
            await host.StopAsync();
        }
    }
}
