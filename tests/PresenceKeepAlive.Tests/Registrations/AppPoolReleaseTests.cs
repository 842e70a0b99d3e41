using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Registrations.Internal;
using PresenceKeepAlive.Sessions.Internal;
using PresenceKeepAlive.Tests.Fakes;

namespace PresenceKeepAlive.Tests.Registrations;

/// <summary>
/// Distributed mode on an app pool: <see cref="PresenceAppPool.Adopt"/> takes a user over on the app the pool assigns it
/// to; <see cref="PresenceAppPool.Release"/> and <see cref="PresenceAppPool.ReleaseAll"/> stop sessions without signing
/// off. The pool's two apps run over fake protocols on one <see cref="FakeTimeProvider"/>.
/// </summary>
public class AppPoolReleaseTests
{
    private const int Users = 20;

    private static string User(int i) => $"0a1b2c3d-0000-4000-9000-{i:x12}";

    [Test]
    public async Task Adopt_User_KeptByTheAppThePoolAssignsItToWithoutARequestAndRefreshedThere()
    {
        await using var sut = new PoolSut();
        var user = User(1);
        var appId = sut.Pool.GetClientId(user);
        var app = sut.Slot(appId);
        var otherApp = sut.Pool.Slots.Single(s => s.ClientId != appId);
        var now = sut.Time.GetUtcNow();

        var session = sut.Pool.Adopt(user, PresenceState.Available, now - TimeSpan.FromMinutes(1), TimeSpan.Zero);
        Clock.Settle();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sut.Pool.TryGet(user, out var held), Is.True);
            Assert.That(held, Is.SameAs(session));
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(session.NextRefreshAt, Is.EqualTo(now + TimeSpan.FromSeconds(215)), "a margin before the adopted state's end (4:00 from now)");
            Assert.That(app.Manager.TryGet(user, out _), Is.True, "on the app the pool assigns the user to");
            Assert.That(otherApp.Manager.TryGet(user, out _), Is.False);
            Assert.That(sut.AllCalls, Is.Empty, "no request to take it over");
        }

        sut.Time.Run(TimeSpan.FromSeconds(216));

        Assert.That(sut.Protocols[appId].Calls.Select(c => (c.UserId, c.State, c.At)), Is.EqualTo(new[] { (user, (PresenceState?)PresenceState.Available, now + TimeSpan.FromSeconds(215)) }));
        Assert.That(sut.Protocols[otherApp.ClientId].Calls, Is.Empty);
    }

    [Test]
    public async Task Release_OneUser_ForgottenWithoutARequestAndNotSignedOffOnDispose()
    {
        var sut = new PoolSut();
        await sut.StartUsersAsync();
        var released = User(3);
        var engine = sut.Slot(sut.Pool.GetClientId(released)).Manager;
        var session = sut.Pool.GetOrCreate(released);
        var calls = sut.AllCalls.Count;

        sut.Pool.Release(released);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sut.Pool.TryGet(released, out _), Is.False);
            Assert.That(sut.Pool.Count, Is.EqualTo(Users - 1));
            Assert.That(engine.TryGet(released, out _), Is.False, "gone from its app's manager too");
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Disposed));
            Assert.That(sut.AllCalls, Has.Count.EqualTo(calls), "nothing sent");
        }

        await sut.DisposeAsync();

        var clears = sut.AllCalls.Where(c => c.Operation == "clearPresence").Select(c => c.UserId).ToList();
        Assert.That(clears, Is.EquivalentTo(Enumerable.Range(0, Users).Select(User).Where(u => u != released)), "every other user is signed off; the released one is not");
    }

    [Test]
    public async Task ReleaseAll_AdoptedSetAndUnpooledSessions_LeavesNoSessionsAndDisposingSendsNoClear()
    {
        var sut = new PoolSut();
        await sut.StartUsersAsync();

        // A session on an app's manager the pool does not hold (one left behind by a move, say) is released too.
        var unpooled = (PresenceSession)sut.Pool.Slots[0].Manager.GetOrCreate("carol@contoso.com");
        await unpooled.SetAsync(PresenceState.Away);
        var sessions = sut.Pool.Sessions.ToList();
        var calls = sut.AllCalls.Count;

        sut.Pool.ReleaseAll();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sut.Pool.Count, Is.Zero);
            Assert.That(sut.Pool.Sessions, Is.Empty);
            Assert.That(sut.Pool.Slots.Select(s => s.Manager.Count), Is.All.Zero, "no app keeps a session");
            Assert.That(sut.Pool.Slots.Select(s => s.Manager.KeptCount), Is.All.Zero);
            Assert.That(sessions.Select(s => s.Status), Is.All.EqualTo(PresenceSessionStatus.Disposed));
            Assert.That(unpooled.Status, Is.EqualTo(PresenceSessionStatus.Disposed));
        }

        sut.Time.Run(TimeSpan.FromMinutes(10));
        Assert.That(sut.AllCalls, Has.Count.EqualTo(calls), "no refresh after the release");

        await sut.DisposeAsync();

        Assert.That(sut.AllCalls.Where(c => c.Operation == "clearPresence"), Is.Empty, "leaving the cluster signs nobody off");
        Assert.That(sut.AllCalls, Has.Count.EqualTo(calls));
    }

    [Test]
    public async Task DisposeAsync_WithoutRelease_SignsOffEveryUserAdoptedOrSetThroughItsApp()
    {
        // The control of the release tests: the same pool, disposed without releasing, signs everyone off.
        var sut = new PoolSut();
        await sut.StartUsersAsync();

        await sut.DisposeAsync();

        foreach (var slot in sut.Pool.Slots)
        {
            var expected = Enumerable.Range(0, Users).Select(User).Where(u => sut.Pool.GetClientId(u) == slot.ClientId);
            Assert.That(sut.Protocols[slot.ClientId].Calls.Where(c => c.Operation == "clearPresence").Select(c => c.UserId), Is.EquivalentTo(expected), slot.ClientId);
        }
    }

    [Test]
    public async Task Adopt_AfterRelease_TheUserComesBackOnANewSession()
    {
        await using var sut = new PoolSut();
        var user = User(5);
        var first = sut.Pool.Adopt(user, PresenceState.BusyInACall, sut.Time.GetUtcNow() - TimeSpan.FromMinutes(1), TimeSpan.Zero);
        sut.Pool.Release(user);

        var second = sut.Pool.Adopt(user, PresenceState.BusyInACall, sut.Time.GetUtcNow() - TimeSpan.FromMinutes(1), TimeSpan.Zero);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(second, Is.Not.SameAs(first));
            Assert.That(first.Status, Is.EqualTo(PresenceSessionStatus.Disposed));
            Assert.That(second.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(sut.Pool.Count, Is.EqualTo(1));
            Assert.That(sut.Slot(sut.Pool.GetClientId(user)).Manager.Count, Is.EqualTo(1));
            Assert.That(sut.AllCalls, Is.Empty);
        }
    }

    /// <summary>A pool of two apps, each over its own fake protocol, on one fake clock; signs off on dispose.</summary>
    private sealed class PoolSut : IAsyncDisposable
    {
        public PoolSut()
        {
            Time = Clock.Create();
            Options = new PresenceKeepAliveOptions { SignOffOnDispose = true };
            Metrics = new PresenceKeepAliveMetrics(null);
            var context = new RegistrationContext
            {
                Name = "big",
                Options = Options,
                TimeProvider = Time,
                GlobalGates = new GlobalAppGates(new KeepAliveClock(Time)),
                CreateHttpClient = () => throw new InvalidOperationException("No HTTP: the apps run over fake protocols."),
                LoggerFactory = NullLoggerFactory.Instance,
                Metrics = Metrics,
            };
            var slots = new List<AppSlot>();
            foreach (var clientId in new[] { NamedRegistrationTests.AppA, NamedRegistrationTests.AppB })
            {
                var protocol = new FakePresenceProtocol(Time);
                Protocols[clientId] = protocol;
                var gate = context.CreateGate(clientId);
                var manager = new PresenceSessionManager(protocol, Options, Time, NullLogger.Instance, Metrics, new Random(1), maxConcurrency: 64, gate: gate);
                slots.Add(new AppSlot(clientId, gate, manager, Metrics));
            }

            Pool = new PresenceAppPool(context, slots, NullLogger.Instance);
        }

        public FakeTimeProvider Time { get; }

        public PresenceKeepAliveOptions Options { get; }

        public PresenceKeepAliveMetrics Metrics { get; }

        public Dictionary<string, FakePresenceProtocol> Protocols { get; } = [];

        public PresenceAppPool Pool { get; }

        public List<RecordedCall> AllCalls => Protocols.Values.SelectMany(p => p.Calls).ToList();

        public AppSlot Slot(string clientId) => Pool.Slots.Single(s => s.ClientId == clientId);

        /// <summary>Users 0, 2, 4… adopted (accepted a minute ago), users 1, 3, 5… set by this process: both apps keep some.</summary>
        public async Task StartUsersAsync()
        {
            for (var i = 0; i < Users; i++)
            {
                if (i % 2 == 0)
                {
                    Pool.Adopt(User(i), PresenceState.Available, Time.GetUtcNow() - TimeSpan.FromMinutes(1), TimeSpan.Zero);
                }
                else
                {
                    await Pool.GetOrCreate(User(i)).SetAsync(PresenceState.BusyInACall).WaitAsync(TimeSpan.FromSeconds(10));
                }
            }

            Clock.Settle();
            Assert.That(Pool.Count, Is.EqualTo(Users));
            Assert.That(Pool.Slots.Select(s => s.Manager.Count), Is.All.GreaterThan(0), "the test's users are spread over both apps");
            Assert.That(Pool.Sessions.Select(s => s.Status), Is.All.EqualTo(PresenceSessionStatus.Active));
        }

        public async ValueTask DisposeAsync()
        {
            await Pool.DisposeAsync();
            Metrics.Meter.Dispose();
        }
    }
}
