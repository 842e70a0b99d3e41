using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Tests.Fakes;

namespace PresenceKeepAlive.Tests.KeepAlive;

/// <summary>Spare places: read-back may take one only when the sessions do not need it.</summary>
public class SpareCapacityTests
{
    [Test]
    public void RequestGate_TryReserveSpare_LeavesTheHeadroomFreeForTheSessions()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var gate = new RequestGate(100, TimeSpan.FromSeconds(30), new KeepAliveClock(time));
        for (var i = 0; i < 94; i++)
        {
            Assert.That(gate.TryEnter(reserved: false), Is.True);
        }

        var first = gate.TryReserveSpare(windowHeadroom: 5, secondHeadroom: 0);
        var second = gate.TryReserveSpare(windowHeadroom: 5, secondHeadroom: 0);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Is.True, "94 used + 1 spare leaves 5 free");
            Assert.That(second, Is.False, "a second spare would leave only 4");
            Assert.That(gate.Available, Is.EqualTo(5), "the places a refresh may need are still free");
        }
    }

    [Test]
    public async Task Scheduler_TryReserveSpare_RefusedWhileAStateChangeWaitsAndGrantedWhenNothingDoes()
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false }, maxConcurrency: 1);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Protocol.Handler = _ => release.Task;
        var first = sut.Manager.GetOrCreate("adele@contoso.com").SetAsync(PresenceState.BusyInACall);
        var second = sut.Manager.GetOrCreate("alex@contoso.com").SetAsync(PresenceState.Available);
        await sut.Protocol.WaitForCallsAsync(1);

        var whileWaiting = sut.Manager.Scheduler.TryReserveSpare(0.05);
        sut.Protocol.Handler = null;
        release.SetResult();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10));
        await WaitUntilAsync(() => sut.Manager.Scheduler.InFlight == 0);
        var whenIdle = sut.Manager.Scheduler.TryReserveSpare(0.05);
        sut.Manager.Scheduler.Budget.Release();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(whileWaiting, Is.False, "Alex's state change was waiting");
            Assert.That(whenIdle, Is.True);
        }
    }

    [Test]
    public async Task ReadBack_OffByDefault_NoLoop()
    {
        await using var sut = new Sut();

        Assert.That(sut.Manager.ReadBack, Is.Null);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "the condition did not hold in time");
            await Task.Yield();
        }
    }
}
