using PresenceKeepAlive.Orleans.Silo;

namespace PresenceKeepAlive.Orleans.Tests;

/// <summary>
/// The split of a budget between silos by membership (<see cref="BudgetShare"/>), on a clock of plain ticks, and the proof
/// that it keeps the cluster within the budget: a simulation of silos joining, leaving and being cut off, each sending as
/// fast as its share allows, checked window by window.
/// </summary>
public sealed class BudgetShareTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Fence = TimeSpan.FromSeconds(9);
    private static long S(double seconds) => (long)(seconds * TimeSpan.TicksPerSecond);

    [Test]
    public void NewSilo_SendsNothingUntilWindowPlusFencePlusOneSecondAfterItStarted()
    {
        var share = new BudgetShare(Window, Fence, startedTicks: S(100));
        share.OnView(senders: 3, selfDead: false, S(100));
        Assert.Multiple(() =>
        {
            Assert.That(share.GrowDelay, Is.EqualTo(TimeSpan.FromSeconds(40)));
            Assert.That(Read(share, S(100)), Is.Zero, "at start");
            Assert.That(Read(share, S(139.9)), Is.Zero, "just before the warm-up ends");
            Assert.That(Read(share, S(140)), Is.EqualTo(3), "from the end of the warm-up: a third");
        });
    }

    [Test]
    public void MoreSilos_ShrinkAtOnce()
    {
        var share = Warm(senders: 2);
        share.OnView(senders: 3, selfDead: false, S(200));
        Assert.That(Read(share, S(200)), Is.EqualTo(3));
    }

    [Test]
    public void FewerSilos_GrowOnlyAfterWindowPlusFencePlusOneSecond()
    {
        var share = Warm(senders: 3);
        share.OnView(senders: 2, selfDead: false, S(200));
        Assert.Multiple(() =>
        {
            Assert.That(Read(share, S(200)), Is.EqualTo(3), "at once: still a third");
            Assert.That(Read(share, S(239.9)), Is.EqualTo(3), "just before the delay ends");
            Assert.That(Read(share, S(240)), Is.EqualTo(2), "after it: a half");
        });
    }

    [Test]
    public void AnotherDeparture_DuringTheWait_RestartsIt()
    {
        var share = Warm(senders: 4);
        share.OnView(senders: 3, selfDead: false, S(200));
        share.OnView(senders: 2, selfDead: false, S(220));
        Assert.Multiple(() =>
        {
            Assert.That(Read(share, S(245)), Is.EqualTo(4), "the first departure's wait does not apply the second one's share");
            Assert.That(Read(share, S(260)), Is.EqualTo(2), "40 s after the second departure");
        });
    }

    [Test]
    public void Departure_ThenAJoinerBeforeTheGrow_KeepsTheSmallerShare()
    {
        var share = Warm(senders: 3);
        share.OnView(senders: 2, selfDead: false, S(200));
        share.OnView(senders: 3, selfDead: false, S(210));
        Assert.Multiple(() =>
        {
            Assert.That(Read(share, S(260)), Is.EqualTo(3));
            Assert.That(share.PendingAtTicks, Is.Null);
        });
    }

    [Test]
    public void NoMembershipRead_ForTheFenceTime_SendsNothingUntilTheNextRead()
    {
        var share = Warm(senders: 2);
        share.OnRead(S(200));
        Assert.Multiple(() =>
        {
            Assert.That(share.DivisorAt(S(209)), Is.EqualTo(2), "9 s after the last read: still sending");
            Assert.That(share.DivisorAt(S(209.1)), Is.Zero, "past the fence time: fenced");
        });
        share.OnRead(S(215));
        Assert.That(share.DivisorAt(S(215)), Is.EqualTo(2), "a read lifts the fence");
    }

    [Test]
    public void SeesItselfDead_SendsNothing()
    {
        var share = Warm(senders: 2);
        share.OnView(senders: 1, selfDead: true, S(200));
        Assert.That(Read(share, S(300)), Is.Zero);
    }

    [TestCase(1500, 3, 500)]
    [TestCase(1500, 2, 750)]
    [TestCase(1500, 7, 214)]
    [TestCase(1500, 0, 0)]
    [TestCase(130_000, 3, 43_333)]
    public void Share_IsTheBudgetDividedDown(int limit, int divisor, int expected) =>
        Assert.That(BudgetShare.Share(limit, divisor), Is.EqualTo(expected));

    /// <summary>
    /// Silos that join, leave (dead: they stop sending at once) and get cut off (still sending until they fence
    /// themselves, while the others have declared them dead), each sending whenever its own sliding log under its current
    /// share allows; every closed 30 s window of the whole cluster is checked against the budget.
    /// </summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    public void RandomMembership_NoClosedWindowOfTheClusterHoldsMoreThanTheBudget(int seed)
    {
        const int Budget = 1500;
        var random = new Random(seed);
        var step = S(0.1);
        var silos = new List<SimSilo>();
        var sends = new List<long>();
        var now = 0L;
        for (var i = 0; i < 3; i++)
        {
            silos.Add(new SimSilo(new BudgetShare(Window, Fence, now)));
        }

        var end = S(1800);
        var nextEvent = S(20);
        while (now < end)
        {
            if (now >= nextEvent)
            {
                var alive = silos.Where(s => s.State == SimState.Member).ToList();
                var roll = random.NextDouble();
                if (roll < 0.35 || alive.Count < 2)
                {
                    silos.Add(new SimSilo(new BudgetShare(Window, Fence, now)));
                }
                else if (roll < 0.7)
                {
                    alive[random.Next(alive.Count)].State = SimState.Dead;
                }
                else
                {
                    // Cut off: declared dead by the others, but still running until its own fence stops it.
                    var cut = alive[random.Next(alive.Count)];
                    cut.State = SimState.CutOff;
                }

                nextEvent = now + S(5 + (random.NextDouble() * 60));
            }

            var members = silos.Count(s => s.State == SimState.Member);
            foreach (var silo in silos)
            {
                if (silo.State == SimState.Member)
                {
                    // Every member reads the table and sees the view within a second or so (gossip).
                    if (random.NextDouble() < 0.5)
                    {
                        silo.Share.OnRead(now);
                        silo.Share.OnView(members, selfDead: false, now);
                    }
                }

                if (silo.State is SimState.Member or SimState.CutOff)
                {
                    var divisor = silo.Share.DivisorAt(now);
                    var limit = BudgetShare.Share(Budget, divisor);
                    silo.Trim(now - Window.Ticks);
                    while (silo.Log.Count < limit && random.NextDouble() < 0.9)
                    {
                        silo.Log.Enqueue(now);
                        sends.Add(now);
                    }
                }
            }

            now += step;
        }

        sends.Sort();
        var worst = 0;
        var start = 0;
        for (var i = 0; i < sends.Count; i++)
        {
            while (sends[i] - sends[start] > Window.Ticks)
            {
                start++;
            }

            worst = Math.Max(worst, i - start + 1);
        }

        TestContext.Out.WriteLine($"{silos.Count} silos over the run, {sends.Count} sends, fullest window {worst}");
        Assert.Multiple(() =>
        {
            Assert.That(worst, Is.LessThanOrEqualTo(Budget), "sends of the cluster in one closed window");
            Assert.That(worst, Is.GreaterThan(Budget * 6 / 10), "the silos used most of the budget (the check is not vacuous)");
        });
    }

    private static BudgetShare Warm(int senders)
    {
        var share = new BudgetShare(Window, Fence, startedTicks: 0);
        share.OnView(senders, selfDead: false, 0);
        share.OnRead(S(100));
        return share;
    }

    private static int Read(BudgetShare share, long now)
    {
        share.OnRead(now);
        return share.DivisorAt(now);
    }

    private enum SimState
    {
        Member,
        CutOff,
        Dead,
    }

    private sealed class SimSilo(BudgetShare share)
    {
        public BudgetShare Share { get; } = share;

        public SimState State { get; set; } = SimState.Member;

        public Queue<long> Log { get; } = new();

        public void Trim(long before)
        {
            while (Log.Count > 0 && Log.Peek() < before)
            {
                Log.Dequeue();
            }
        }
    }
}
