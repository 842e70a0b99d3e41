using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Tests.Fakes;

namespace PresenceKeepAlive.Tests.KeepAlive;

/// <summary>
/// Distributed mode: <see cref="RequestGate.SetLimit"/> gives this process its share of the app's budget at run time.
/// The gate's window is closed at both ends: an attempt at <c>t</c> still counts at exactly <c>t + window</c>. Time is a
/// <see cref="FakeTimeProvider"/>, whose timestamps are the engine clock's ticks.
/// </summary>
public class RequestGateLimitTests
{
    /// <summary>10 per 10 s: 1 a second, under the 5 a second from which a gate is paced, so only the window counts.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    [Test]
    public void SetLimit_BelowWhatTheWindowHolds_AdmitsNothingUntilEnoughEntriesHaveLeft()
    {
        var (time, gate) = CreateGate(10, Window);
        var start = time.GetUtcNow().UtcTicks;
        for (var i = 0; i < 10; i++)
        {
            if (i > 0)
            {
                time.Advance(TimeSpan.FromSeconds(1));
            }

            Assert.That(gate.TryEnter(reserved: false), Is.True);
        }

        // Attempts at 0, 1, …, 9 s; at 9.5 s the share drops to 5: 6 of the 10 must leave, the last of them the one at 5 s,
        // which counts until 15 s inclusive.
        time.Advance(TimeSpan.FromSeconds(0.5));
        gate.SetLimit(5);
        var expected = start + TimeSpan.FromSeconds(15).Ticks + 1;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(gate.LimitPerWindow, Is.EqualTo(5));
            Assert.That(gate.ConfiguredLimitPerWindow, Is.EqualTo(10));
            Assert.That(gate.RatePerSecond, Is.EqualTo(0.5));
            Assert.That(gate.Available, Is.Zero);
            Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(expected), "when the entry at 5 s leaves");
            Assert.That(gate.TryEnter(reserved: false), Is.False);
            Assert.That(gate.TryReserve(), Is.False);
        }

        // At 10.5 s the entry at 0 s has left (9 remain): still over the new limit.
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(gate.TryEnter(reserved: false), Is.False, "9 in the window");
        Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(expected));

        // At exactly 15 s the entry at 5 s still counts.
        time.Advance(TimeSpan.FromTicks(expected - 1 - Now(time)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(gate.TryEnter(reserved: false), Is.False, "the window is closed at its far end");
            Assert.That(gate.TryReserve(), Is.False);
            Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(expected));
        }

        time.Advance(TimeSpan.FromTicks(1));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(Now(time)), "free now");
            Assert.That(gate.Available, Is.EqualTo(1));
            Assert.That(gate.TryEnter(reserved: false), Is.True, "one tick later it has left");
            Assert.That(gate.TryEnter(reserved: false), Is.False, "the window holds 6, 7, 8, 9 s and now: 5");
            Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(start + TimeSpan.FromSeconds(16).Ticks + 1), "when the entry at 6 s leaves");
        }
    }

    [Test]
    public void SetLimit_BelowWhatTheWindowHoldsWithReservations_NextFreeCountsThemAndIsNeverWhileTheyFillTheLimit()
    {
        var (time, gate) = CreateGate(10, Window);
        var start = time.GetUtcNow().UtcTicks;
        for (var i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                time.Advance(TimeSpan.FromSeconds(1));
            }

            Assert.That(gate.TryEnter(reserved: false), Is.True);
        }

        // 4 logged (0, 1, 2, 3 s) and 3 reserved; a limit of 4 needs 4 of the logged to leave: the one at 3 s last.
        Assert.That(gate.TryReserve() && gate.TryReserve() && gate.TryReserve(), Is.True);
        gate.SetLimit(4);
        Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(start + TimeSpan.FromSeconds(13).Ticks + 1));

        // A limit of 3 with 3 reserved: no entry leaving frees a place, only a reservation ending does.
        gate.SetLimit(3);
        Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(long.MaxValue));
        gate.Release();
        Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(start + TimeSpan.FromSeconds(13).Ticks + 1), "2 reserved: every logged entry must leave");
        gate.Release();
        Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(start + TimeSpan.FromSeconds(12).Ticks + 1), "1 reserved: 3 of the 4 must leave");
    }

    [Test]
    public void SetLimit_Zero_AdmitsNothingAndNextFreeIsNeverOnceTheWindowIsEmpty()
    {
        var (time, gate) = CreateGate(10, Window);
        for (var i = 0; i < 3; i++)
        {
            Assert.That(gate.TryEnter(reserved: false), Is.True);
        }

        gate.SetLimit(0);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(gate.LimitPerWindow, Is.Zero);
            Assert.That(gate.RatePerSecond, Is.Zero);
            Assert.That(gate.TryEnter(reserved: false), Is.False);
            Assert.That(gate.TryReserve(), Is.False);
            Assert.That(gate.TryReserveSpare(0, 0), Is.False);
            Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(long.MaxValue), "no entry leaving frees a place");
        }

        time.Advance(Window + TimeSpan.FromSeconds(1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(gate.Available, Is.Zero);
            Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(long.MaxValue), "the window is empty and still nothing may leave");
            Assert.That(gate.TryEnter(reserved: false), Is.False);
            Assert.That(gate.TryReserve(), Is.False);
        }
    }

    [Test]
    public void SetLimit_Raised_AdmitsAtOnceUpToTheNewLimit()
    {
        var (time, gate) = CreateGate(10, Window);
        gate.SetLimit(3);
        for (var i = 0; i < 3; i++)
        {
            Assert.That(gate.TryEnter(reserved: false), Is.True);
        }

        Assert.That(gate.TryEnter(reserved: false), Is.False, "3 of 3");
        Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(Now(time) + Window.Ticks + 1));

        gate.SetLimit(10);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(Now(time)), "free at once");
            Assert.That(gate.Available, Is.EqualTo(7));
            Assert.That(Enumerable.Range(0, 7).Select(_ => gate.TryEnter(reserved: false)), Is.All.True, "at the same instant");
            Assert.That(gate.TryEnter(reserved: false), Is.False, "10 of 10");
        }

        // From 0 the same: a raise takes effect at once, with the same window.
        gate.SetLimit(0);
        time.Advance(Window + TimeSpan.FromTicks(1));
        Assert.That(gate.TryEnter(reserved: false), Is.False);
        gate.SetLimit(2);
        Assert.That(gate.TryReserve(), Is.True);
        Assert.That(gate.TryEnter(reserved: false), Is.True);
        Assert.That(gate.TryEnter(reserved: false), Is.False, "1 logged + 1 reserved of 2");
    }

    [TestCase(-5, 0)]
    [TestCase(int.MinValue, 0)]
    [TestCase(0, 0)]
    [TestCase(7, 7)]
    [TestCase(10, 10)]
    [TestCase(11, 10)]
    [TestCase(int.MaxValue, 10)]
    public void SetLimit_AnyValue_ClampedBetweenZeroAndTheConfiguredLimit(int limit, int expected)
    {
        var (_, gate) = CreateGate(10, Window);

        gate.SetLimit(limit);

        var admitted = 0;
        while (admitted < 100 && gate.TryEnter(reserved: false))
        {
            admitted++;
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(gate.LimitPerWindow, Is.EqualTo(expected));
            Assert.That(gate.ConfiguredLimitPerWindow, Is.EqualTo(10), "the configured limit never changes");
            Assert.That(admitted, Is.EqualTo(expected), "what the window admits");
        }
    }

    [TestCase(1500, 50)]
    [TestCase(750, 25)]
    [TestCase(300, 10)]
    [TestCase(10, 1)]
    public void SetLimit_Share_PacesEachSecondAtTheShareOfTheRate(int limit, int perSecond)
    {
        // Graph's 1,500 per 30 s is paced at 50 a second; a share of it at its own part of that.
        var (time, gate) = CreateGate(1500, TimeSpan.FromSeconds(30));
        gate.SetLimit(limit);

        var burst = 0;
        while (burst < 100 && gate.TryEnter(reserved: false))
        {
            burst++;
        }

        Assert.That(burst, Is.EqualTo(perSecond), "at one instant");
        Assert.That(gate.NextFreeTicks(Now(time)), Is.EqualTo(Now(time) + TimeSpan.FromSeconds(1).Ticks + 1), "the pacing's window frees a place a second later");

        // Sustained: as many as admitted every 10 ms for 90 s.
        var entries = new List<long>();
        for (var step = 0; step < 9_000; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            while (gate.TryEnter(reserved: false))
            {
                entries.Add(Now(time));
            }
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(MaxInClosedWindow(entries, TimeSpan.FromSeconds(1)), Is.EqualTo(perSecond), "at most the share in any second, and reached");
            Assert.That(MaxInClosedWindow(entries, TimeSpan.FromSeconds(30)), Is.LessThanOrEqualTo(limit));
            Assert.That(entries.Count, Is.GreaterThanOrEqualTo(Math.Min(limit, perSecond * 30) * 2), "the share of the rate, sustained");
        }
    }

    [TestCase(10, 10, 1)]
    [TestCase(10, 10, 2)]
    [TestCase(60, 10, 3)]
    [TestCase(300, 30, 4)]
    [TestCase(1500, 30, 5)]
    public void SetLimit_RandomChangesAndAttempts_NoClosedWindowHoldsMoreThanTheLargestLimitInForceDuringIt(int configured, int windowSeconds, int seed)
    {
        var window = TimeSpan.FromSeconds(windowSeconds);
        var (time, gate) = CreateGate(configured, window);
        var random = new Random(seed);
        var entries = new List<long>();
        var changes = new List<(long At, int Limit)> { (Now(time), configured) };
        var model = new GateModel(configured, window);
        var mismatches = new List<string>();
        var refused = 0;
        for (var phase = 0; phase < 80; phase++)
        {
            // A new share, sometimes out of range (clamped), held for up to three windows; sometimes changed again at once.
            var requested = random.Next(6) == 0 ? random.Next(-3, configured + 4) : random.Next(0, configured + 1);
            gate.SetLimit(requested);
            Assert.That(gate.LimitPerWindow, Is.EqualTo(Math.Clamp(requested, 0, configured)));
            changes.Add((Now(time), gate.LimitPerWindow));
            var phaseEnd = Now(time) + (random.Next(4) == 0 ? 0 : (long)(random.NextDouble() * 3 * window.Ticks));
            do
            {
                switch (random.Next(6))
                {
                    case 0:
                        time.Advance(TimeSpan.FromMilliseconds(random.Next(300) == 0 ? random.Next(0, windowSeconds * 1500) : random.Next(0, 60)));
                        var next = gate.NextFreeTicks(Now(time));
                        var expected = model.NextFree(entries, Now(time), gate.LimitPerWindow);
                        if (next != expected && mismatches.Count < 20)
                        {
                            mismatches.Add($"NextFreeTicks at {Now(time)} (limit {gate.LimitPerWindow}): {next}, expected {expected}");
                        }

                        break;
                    case 1:
                        // A send the scheduler dispatches: reserved, then its first attempt leaves at once.
                        if (gate.TryReserve())
                        {
                            Assert.That(gate.TryEnter(reserved: true), Is.True, "a reservation taken now fits now");
                            entries.Add(Now(time));
                        }
                        else
                        {
                            refused++;
                        }

                        break;
                    case 2:
                        // A send that ends before its attempt leaves.
                        if (gate.TryReserve())
                        {
                            gate.Release();
                        }

                        break;
                    case 3:
                        // An unbudgeted retry storm: each attempt asks for a free place.
                        for (var k = 0; k < 5; k++)
                        {
                            if (gate.TryEnter(reserved: false))
                            {
                                entries.Add(Now(time));
                            }
                            else
                            {
                                refused++;
                            }
                        }

                        break;
                    default:
                        var free = model.NextFree(entries, Now(time), gate.LimitPerWindow) == Now(time);
                        var entered = gate.TryEnter(reserved: false);
                        if (entered != free && mismatches.Count < 20)
                        {
                            mismatches.Add($"TryEnter at {Now(time)} (limit {gate.LimitPerWindow}): {entered}, expected {free}");
                        }

                        if (entered)
                        {
                            entries.Add(Now(time));
                        }
                        else
                        {
                            refused++;
                        }

                        break;
                }
            }
            while (Now(time) < phaseEnd);
        }

        entries.Sort();
        var (violations, tight, lowered) = CheckWindows(entries, changes, window.Ticks);
        TestContext.Out.WriteLine($"entries {entries.Count}, refused {refused}, limit changes {changes.Count - 1}, windows at their bound {tight}, full windows under a lowered bound {lowered}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(violations, Is.Empty, "closed windows holding more than the largest limit in force during them");
            Assert.That(mismatches, Is.Empty, "NextFreeTicks and TryEnter against a model of the window and the per-second pacing");
            Assert.That(tight, Is.GreaterThan(0), "some window was filled to its bound: the sequence pressed the gate");
            Assert.That(lowered, Is.GreaterThan(0), "some window was filled to a bound under the configured limit: the lower limits were tested, not only the configured one");
            Assert.That(gate.Entered, Is.EqualTo(entries.Count));
        }
    }

    [Test]
    public void SetLimit_LoweredWhileReservationsAreHeld_NoClosedWindowAfterItHoldsMoreThanTheLowerLimit()
    {
        // The scheduler reserves a place per send it dispatches; the send's first attempt takes it when it leaves, after
        // token acquisition and serialization. SetLimit says: a lower limit lets no attempt leave until the window's log is
        // under it, so no window holds more than the largest limit in force during it.
        var (time, gate) = CreateGate(10, Window);
        var reserved = Enumerable.Range(0, 10).Count(_ => gate.TryReserve());
        Assert.That(reserved, Is.EqualTo(10), "ten sends dispatched under the whole budget");

        gate.SetLimit(5);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var entries = new List<long>();
        for (var i = 0; i < reserved; i++)
        {
            if (gate.TryEnter(reserved: true))
            {
                entries.Add(Now(time));
            }
            else
            {
                gate.Release();
            }
        }

        // Only the limit of 5 is in force during [1 ms, 10 s + 1 ms].
        Assert.That(MaxInClosedWindow(entries, Window), Is.LessThanOrEqualTo(5), "attempts that left after the limit was lowered to 5, in one closed window");
    }

    [Test]
    public async Task SetLimit_ZeroOnAManagersGate_NothingIsSentUntilItIsRaisedAndTheSchedulerPumped()
    {
        await using var sut = new Sut();
        var gate = sut.Manager.Scheduler.Budget;
        gate.SetLimit(0);

        var set = sut.Manager.GetOrCreate("adele@contoso.com").SetAsync(PresenceState.Available);
        sut.Time.Run(TimeSpan.FromSeconds(20));
        Assert.That(sut.Protocol.Calls, Is.Empty, "no budget: the state change waits");
        Assert.That(set.IsCompleted, Is.False);

        gate.SetLimit(gate.ConfiguredLimitPerWindow);
        sut.Manager.Scheduler.Pump();
        await set.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(sut.Protocol.Calls.Select(c => c.At), Is.EqualTo(new[] { Clock.Start + TimeSpan.FromSeconds(20) }), "sent as the limit is raised, not at the scheduler's next wake-up");
    }

    [Test]
    public void SetLimit_ParentLoweredWhileAChildReservationIsHeld_TheAttemptDoesNotLeaveAndNeitherGateCountsIt()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        var clock = new KeepAliveClock(time);
        var parent = new RequestGate(10, TimeSpan.FromSeconds(10), clock);
        var child = new RequestGate(10, TimeSpan.FromSeconds(10), clock, parent);
        for (var i = 0; i < 4; i++)
        {
            Assert.That(child.TryEnter(reserved: false), Is.True);
        }

        Assert.That(child.TryReserve(), Is.True);
        parent.SetLimit(4);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Multiple(() =>
        {
            Assert.That(child.TryEnter(reserved: true), Is.False, "the reserved attempt leaves past the parent's lowered limit");
            Assert.That(parent.Entered, Is.EqualTo(4), "attempts the parent counted");
            Assert.That(child.Entered, Is.EqualTo(4), "attempts the child counted");
            Assert.That(child.Available, Is.EqualTo(6), "the child's reservation was given back");
        });
    }

    private static (FakeTimeProvider Time, RequestGate Gate) CreateGate(int limit, TimeSpan window)
    {
        var time = Clock.Create();
        return (time, new RequestGate(limit, window, new KeepAliveClock(time)));
    }

    /// <summary>The engine's now: the fake clock's ticks (the gate's clock is anchored on it and moves with it).</summary>
    private static long Now(FakeTimeProvider time) => time.GetUtcNow().UtcTicks;

    /// <summary>
    /// Checks every closed window <c>[t, t + window]</c> that can be the fullest for its bound: those starting at an entry,
    /// at a change of the limit, and one tick after a change (when the limit before it is no longer in force). The bound of
    /// a window is the largest limit in force during it: the one in force at <c>t</c> (including any replaced at exactly
    /// <c>t</c>) and every one set within it.
    /// </summary>
    private static (List<string> Violations, int Tight, int Lowered) CheckWindows(List<long> sorted, List<(long At, int Limit)> changes, long window)
    {
        var starts = new SortedSet<long>(sorted);
        foreach (var (at, _) in changes)
        {
            starts.Add(at);
            starts.Add(at + 1);
        }

        var violations = new List<string>();
        var tight = 0;
        var lowered = 0;
        var configured = changes[0].Limit;
        foreach (var t in starts)
        {
            var count = LowerBound(sorted, t + window + 1) - LowerBound(sorted, t);
            if (count == 0)
            {
                continue;
            }

            var bound = 0;
            var before = changes[0].Limit;
            foreach (var (at, limit) in changes)
            {
                if (at < t)
                {
                    before = limit;
                }
                else if (at <= t + window)
                {
                    bound = Math.Max(bound, limit);
                }
            }

            bound = Math.Max(bound, before);
            if (count > bound)
            {
                violations.Add($"[{t}, {t + window}]: {count} > {bound}");
            }
            else if (count == bound)
            {
                tight++;
                if (bound < configured)
                {
                    lowered++;
                }
            }
        }

        return (violations.Take(20).ToList(), tight, lowered);
    }

    /// <summary>
    /// What the gate should answer, from first principles: with no new attempt, the window <c>[t - W, t]</c> loses its
    /// oldest entries one by one, each one tick after its time + W; a place is free once fewer than the limit remain, in
    /// the window and (for a paced gate) in the last second at the share of the per-second pace.
    /// </summary>
    private sealed class GateModel(int configured, TimeSpan window)
    {
        private readonly int? _paceCapacity = window > TimeSpan.FromSeconds(1) && configured / window.TotalSeconds >= 5 && Math.Ceiling(configured / window.TotalSeconds) < configured
            ? (int)Math.Ceiling(configured / window.TotalSeconds)
            : null;

        /// <param name="entries">Every attempt so far, in time order.</param>
        /// <param name="now">The current instant.</param>
        /// <param name="limit">The limit in force.</param>
        public long NextFree(List<long> entries, long now, int limit)
        {
            var next = NextFree(entries, now, limit, window.Ticks);
            if (_paceCapacity is { } capacity)
            {
                var perSecond = limit == 0 ? 0 : Math.Min(capacity, Math.Max(1, (int)Math.Ceiling(limit / window.TotalSeconds)));
                next = Math.Max(next, NextFree(entries, now, perSecond, TimeSpan.TicksPerSecond));
            }

            return next;
        }

        private static long NextFree(List<long> entries, long now, int limit, long windowTicks)
        {
            var first = LowerBound(entries, now - windowTicks);
            var count = entries.Count - first;
            if (count < limit)
            {
                return now;
            }

            // count - limit + 1 entries must leave; with a limit of 0 no number of them is enough.
            var mustLeave = count - limit + 1;
            return mustLeave > count ? long.MaxValue : entries[first + mustLeave - 1] + windowTicks + 1;
        }
    }

    private static int LowerBound(List<long> sorted, long value)
    {
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static int MaxInClosedWindow(IEnumerable<long> ticks, TimeSpan window) => ClosedWindows.Max(ticks, window);
}
