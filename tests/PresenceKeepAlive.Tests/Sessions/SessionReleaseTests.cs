using PresenceKeepAlive.Sessions.Internal;
using PresenceKeepAlive.Tests.Fakes;

namespace PresenceKeepAlive.Tests.Sessions;

/// <summary>
/// Distributed mode: <see cref="PresenceSession.Release"/> stops a session without any request (another process takes
/// it over, or this one leaves the cluster) and removes it from its manager.
/// </summary>
public class SessionReleaseTests
{
    private const string User = "alice@contoso.com";
    private const string Other = "bob@contoso.com";

    [Test]
    public async Task Release_KeptSession_SendsNothingLeavesTheManagerAndIsDisposed()
    {
        await using var sut = CreateSut();
        var session = Engine(sut, User);
        await session.SetAsync(PresenceState.Available);
        await Engine(sut, Other).SetAsync(PresenceState.Available);
        var statuses = RecordStatuses(session);

        session.Release();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Disposed));
            Assert.That(statuses, Is.EqualTo(new[] { PresenceSessionStatus.Disposed }));
            Assert.That(sut.Manager.TryGet(User, out _), Is.False);
            Assert.That(sut.Manager.Count, Is.EqualTo(1));
            Assert.That(sut.Manager.Sessions.Select(s => s.UserId), Is.EqualTo(new[] { Other }));
            Assert.That(sut.Manager.KeptCount, Is.EqualTo(1), "no longer kept");
            Assert.That(session.NextRefreshAt, Is.Null);
        }

        sut.Time.Run(TimeSpan.FromMinutes(30));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sut.Protocol.CallsFor(User).Select(c => c.Operation), Is.EqualTo(new[] { "setPresence" }), "no clear, no refresh");
            Assert.That(sut.Protocol.CallsFor(Other).Count, Is.GreaterThan(5), "the other session is still refreshed");
            Assert.That(sut.Protocol.Calls.Where(c => c.Operation == "clearPresence"), Is.Empty);
        }
    }

    [Test]
    public async Task Release_SetAsyncInFlight_WaiterFailsWithObjectDisposedExceptionAndTheLateAnswerChangesNothing()
    {
        await using var sut = CreateSut();
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = _ => hang.Task;
        var session = Engine(sut, User);
        var set = session.SetAsync(PresenceState.BusyInACall);
        await sut.Protocol.WaitForCallsAsync(1);

        session.Release();

        Assert.That(async () => await set.WaitAsync(TimeSpan.FromSeconds(10)), Throws.InstanceOf<ObjectDisposedException>());
        hang.SetResult();
        Clock.Settle();
        sut.Time.Run(TimeSpan.FromMinutes(30));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(session.Status, Is.EqualTo(PresenceSessionStatus.Disposed), "the acceptance that came after does not bring it back");
            Assert.That(session.NextRefreshAt, Is.Null);
            Assert.That(sut.Protocol.Calls, Has.Count.EqualTo(1), "nothing after the set that was in flight");
            Assert.That(sut.Manager.KeptCount, Is.Zero);
            Assert.That(sut.Manager.TryGet(User, out _), Is.False);
        }
    }

    [Test]
    public async Task Release_SetAsyncWaitingForTheBudget_WaiterFailsAndTheSetIsNeverSent()
    {
        await using var sut = CreateSut();
        var gate = sut.Manager.Scheduler.Budget;
        gate.SetLimit(0);
        var session = Engine(sut, User);
        var set = session.SetAsync(PresenceState.Available);
        Clock.Settle();
        Assert.That(set.IsCompleted, Is.False, "queued: no budget");

        session.Release();

        Assert.That(async () => await set.WaitAsync(TimeSpan.FromSeconds(10)), Throws.InstanceOf<ObjectDisposedException>());
        gate.SetLimit(gate.ConfiguredLimitPerWindow);
        sut.Manager.Scheduler.Pump();
        sut.Time.Run(TimeSpan.FromMinutes(10));
        Assert.That(sut.Protocol.Calls, Is.Empty);
    }

    [Test]
    public async Task SetAsync_AfterRelease_ThrowsObjectDisposedException()
    {
        await using var sut = CreateSut();
        var session = Engine(sut, User);
        await session.SetAsync(PresenceState.Available);

        session.Release();

        Assert.That(() => session.SetAsync(PresenceState.Away), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(sut.Protocol.Calls, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task DisposeAsync_SignOffOnDisposeAfterRelease_SendsNoClearForTheReleasedSession()
    {
        var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = true });
        var released = Engine(sut, User);
        await released.SetAsync(PresenceState.Available);
        await Engine(sut, Other).SetAsync(PresenceState.BusyInACall);
        released.Release();

        await sut.DisposeAsync();

        // The other session shows that disposing does sign off: the released one is no longer the manager's to sign off.
        Assert.That(sut.Protocol.Calls.Where(c => c.Operation == "clearPresence").Select(c => c.UserId), Is.EqualTo(new[] { Other }));
        Assert.That(released.Status, Is.EqualTo(PresenceSessionStatus.Disposed));
    }

    [Test]
    public async Task DisposeAsync_OfTheReleasedSession_SendsNoClear()
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = true });
        var session = Engine(sut, User);
        await session.SetAsync(PresenceState.Available);
        session.Release();

        await session.DisposeAsync();

        Assert.That(sut.Protocol.Calls.Select(c => c.Operation), Is.EqualTo(new[] { "setPresence" }));
    }

    [Test]
    public async Task DisposeAsync_OfTheReleasedSession_IsANoOpWithoutAFailedSignOffWarning()
    {
        // Released: another process keeps the user now, so there is nothing to sign off here, and nothing failed.
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = true });
        var session = Engine(sut, User);
        await session.SetAsync(PresenceState.Available);
        session.Release();

        await session.DisposeAsync();

        var warnings = sut.Logger.Collector.GetSnapshot().Where(r => r.Id.Id == 114).Select(r => r.Message + " " + r.Exception?.GetType().Name).ToList();
        Assert.That(warnings, Is.Empty, "event 114 (signing off on dispose failed) for a session that was released, not signed off");
    }

    [Test]
    public async Task Release_ThenTheUserComesBack_ANewSessionStartsAndTheOldOneCannotRemoveIt()
    {
        await using var sut = CreateSut();
        var old = Engine(sut, User);
        await old.SetAsync(PresenceState.Available);
        old.Release();

        // Moved back to this process: a fresh session takes the state over.
        var back = Engine(sut, User);
        back.Adopt(PresenceState.Available, sut.Time.GetUtcNow() - TimeSpan.FromMinutes(1), TimeSpan.Zero);
        old.Release();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(back, Is.Not.SameAs(old));
            Assert.That(back.Status, Is.EqualTo(PresenceSessionStatus.Active));
            Assert.That(sut.Manager.TryGet(User, out var found), Is.True, "a second release of the old session leaves the new one alone");
            Assert.That(found, Is.SameAs(back));
            Assert.That(sut.Manager.KeptCount, Is.EqualTo(1));
        }
    }

    private static Sut CreateSut() => new(new PresenceKeepAliveOptions { SignOffOnDispose = false });

    private static PresenceSession Engine(Sut sut, string user) => (PresenceSession)sut.Manager.GetOrCreate(user);

    private static List<PresenceSessionStatus> RecordStatuses(IPresenceSession session)
    {
        var statuses = new List<PresenceSessionStatus>();
        session.StatusChanged += (_, e) =>
        {
            lock (statuses)
            {
                statuses.Add(e.Status);
            }
        };
        return statuses;
    }
}
