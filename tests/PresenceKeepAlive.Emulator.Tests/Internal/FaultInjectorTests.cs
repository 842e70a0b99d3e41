using PresenceKeepAlive.Emulator.Internal;

namespace PresenceKeepAlive.Emulator.Tests.Internal;

public class FaultInjectorTests
{
    [Test]
    public void Match_CountUnderConcurrency_FiresExactlyCountTimes()
    {
        var sut = new FaultInjector(randomSeed: null);
        sut.Add(new FaultRule { StatusCode = 503, Count = 10 });
        var fired = 0;

        Parallel.For(0, 1000, _ =>
        {
            if (sut.Match(EmulatorOperation.SetPresence, "/v1.0/users/x/presence/setPresence", DateTimeOffset.UnixEpoch) is not null)
            {
                Interlocked.Increment(ref fired);
            }
        });

        Assert.That(fired, Is.EqualTo(10));
        Assert.That(sut.Rules, Is.Empty);
    }

    [Test]
    public void Match_SeveralRules_FirstMatchingInOrderWins()
    {
        var sut = new FaultInjector(randomSeed: null);
        var readOnly = new FaultRule { StatusCode = 500, Operation = EmulatorOperation.GetPresence };
        var any = new FaultRule { StatusCode = 503 };
        sut.Add(readOnly);
        sut.Add(any);

        Assert.That(sut.Match(EmulatorOperation.GetPresence, "/v1.0/users/x/presence", DateTimeOffset.UnixEpoch), Is.SameAs(readOnly));
        Assert.That(sut.Match(EmulatorOperation.SetPresence, "/v1.0/users/x/presence/setPresence", DateTimeOffset.UnixEpoch), Is.SameAs(any));
    }

    [Test]
    public void Match_SameSeed_GivesSameSequence()
    {
        static string Run()
        {
            var sut = new FaultInjector(randomSeed: 7);
            sut.Add(new FaultRule { StatusCode = 500, Probability = 0.5 });
            return string.Concat(Enumerable.Range(0, 64).Select(_ => sut.Match(EmulatorOperation.GetPresence, "/", DateTimeOffset.UnixEpoch) is null ? '0' : '1'));
        }

        var first = Run();

        Assert.That(Run(), Is.EqualTo(first));
        Assert.That(first, Does.Contain("0").And.Contain("1"));
    }
}
