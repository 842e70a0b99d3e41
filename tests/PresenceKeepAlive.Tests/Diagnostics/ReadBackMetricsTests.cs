using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using PresenceKeepAlive.Diagnostics.Internal;

namespace PresenceKeepAlive.Tests.Diagnostics;

/// <summary>Read-back's instruments: one set per meter, measurements tagged per manager, no manager kept alive by them.</summary>
public class ReadBackMetricsTests
{
    private static readonly KeyValuePair<string, object?>[] TagsA = [new("registration", "a"), new("tenant", "t1"), new("client_id", "c1")];
    private static readonly KeyValuePair<string, object?>[] TagsB = [new("registration", "b"), new("tenant", "t2"), new("client_id", "c2")];

    [Test]
    public void TwoManagersOnOneMeter_OneSetOfInstrumentsAndMeasurementsCarryEachManagersTags()
    {
        using var meter = new Meter("PresenceKeepAlive.Tests." + Guid.NewGuid());
        using var listener = Listen(meter, out var instruments, out var measurements);
        using var a = new ReadBackMetrics(meter, TagsA, () => 3);
        using var b = new ReadBackMetrics(meter, TagsB, () => 5);

        a.Read("success");
        b.Mismatch(PresenceMaskReason.UserPreferredPresence);
        listener.RecordObservableInstruments();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(instruments, Is.EquivalentTo(new[] { "presencekeepalive.readback.reads", "presencekeepalive.readback.mismatches", "presencekeepalive.readback.mismatched" }), "created once, not per manager");
            Assert.That(measurements, Does.Contain("presencekeepalive.readback.reads=1 client_id=c1,outcome=success,registration=a,tenant=t1"));
            Assert.That(measurements, Does.Contain("presencekeepalive.readback.mismatches=1 client_id=c2,reason=UserPreferredPresence,registration=b,tenant=t2"));
            Assert.That(measurements, Does.Contain("presencekeepalive.readback.mismatched=3 client_id=c1,registration=a,tenant=t1"));
            Assert.That(measurements, Does.Contain("presencekeepalive.readback.mismatched=5 client_id=c2,registration=b,tenant=t2"));
        }
    }

    [Test]
    public void DisposedManager_NoLongerObserved()
    {
        using var meter = new Meter("PresenceKeepAlive.Tests." + Guid.NewGuid());
        using var listener = Listen(meter, out _, out var measurements);
        using var a = new ReadBackMetrics(meter, TagsA, () => 3);
        var b = new ReadBackMetrics(meter, TagsB, () => 5);

        b.Dispose();
        listener.RecordObservableInstruments();

        Assert.That(measurements.Where(m => m.StartsWith("presencekeepalive.readback.mismatched", StringComparison.Ordinal)),
            Is.EqualTo(new[] { "presencekeepalive.readback.mismatched=3 client_id=c1,registration=a,tenant=t1" }));
    }

    [Test]
    public void DroppedManager_NotKeptAliveByTheGaugeCallback()
    {
        using var meter = new Meter("PresenceKeepAlive.Tests." + Guid.NewGuid());
        using var listener = Listen(meter, out _, out var measurements);
        var owner = CreateAndDrop(meter);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        listener.RecordObservableInstruments();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(owner.IsAlive, Is.False, "the instruments hold the manager weakly");
            Assert.That(measurements.Where(m => m.StartsWith("presencekeepalive.readback.mismatched", StringComparison.Ordinal)), Is.Empty);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference CreateAndDrop(Meter meter)
    {
        var owner = new Owner();
        _ = new ReadBackMetrics(meter, TagsA, owner.Count);
        return new WeakReference(owner);
    }

    private static MeterListener Listen(Meter meter, out List<string> instruments, out List<string> measurements)
    {
        var names = new List<string>();
        var seen = new List<string>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    names.Add(instrument.Name);
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            seen.Add($"{instrument.Name}={value} " + string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}").Order(StringComparer.Ordinal))));
        listener.Start();
        instruments = names;
        measurements = seen;
        return listener;
    }

    private sealed class Owner
    {
        public long Count() => 7;
    }
}
