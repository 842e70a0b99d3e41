using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace PresenceKeepAlive.Orleans.Tests.Shared;

/// <summary>The process-wide grain storage and reminder table: Orleans' ETag and ring-range rules, copies, and no loss when a silo dies.</summary>
public class ProcessWideProvidersTests
{
    internal const string StorageName = "presence";
    private const string StateName = "counter";

    private static GrainId Grain(string key) => GrainId.Create("processwide-test", key);

    private static GrainState<ProcessWideCounterState> Counter(int value, string? etag = null) =>
        new(new ProcessWideCounterState { Value = value }, etag);

    // ---- grain storage ----

    [Test]
    public async Task ReadStateAsync_NoRecord_GivesEmptyStateWithoutETag()
    {
        var store = new ProcessWideGrainStorage();
        var state = new GrainState<ProcessWideCounterState>();

        await store.ReadStateAsync(StateName, Grain("a"), state);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(state.State, Is.Not.Null);
            Assert.That(state.State!.Value, Is.Zero);
            Assert.That(state.ETag, Is.Null);
            Assert.That(state.RecordExists, Is.False);
            Assert.That(store.Count, Is.Zero);
        }
    }

    [Test]
    public async Task WriteStateAsync_ThenRead_GivesValueETagAndRecordExists()
    {
        var store = new ProcessWideGrainStorage();
        var written = Counter(7);

        await store.WriteStateAsync(StateName, Grain("a"), written);
        var read = new GrainState<ProcessWideCounterState>();
        await store.ReadStateAsync(StateName, Grain("a"), read);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(written.ETag, Is.Not.Null);
            Assert.That(written.RecordExists, Is.True);
            Assert.That(read.State!.Value, Is.EqualTo(7));
            Assert.That(read.ETag, Is.EqualTo(written.ETag));
            Assert.That(read.RecordExists, Is.True);
            Assert.That(store.Count, Is.EqualTo(1));
            Assert.That(store.Writes, Is.EqualTo(1));
            Assert.That(store.GetETag(StateName, Grain("a")), Is.EqualTo(written.ETag));
            Assert.That(store.TryGet<ProcessWideCounterState>(StateName, Grain("a"), out var peeked), Is.True);
            Assert.That(peeked!.Value, Is.EqualTo(7));
        }
    }

    [Test]
    public async Task Records_AreKeyedByStateNameAndGrain()
    {
        var store = new ProcessWideGrainStorage();

        await store.WriteStateAsync(StateName, Grain("a"), Counter(1));
        await store.WriteStateAsync("other", Grain("a"), Counter(2));
        await store.WriteStateAsync(StateName, Grain("b"), Counter(3));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(store.Count, Is.EqualTo(3));
            Assert.That(store.TryGet<ProcessWideCounterState>(StateName, Grain("a"), out var a) ? a.Value : -1, Is.EqualTo(1));
            Assert.That(store.TryGet<ProcessWideCounterState>("other", Grain("a"), out var other) ? other.Value : -1, Is.EqualTo(2));
            Assert.That(store.TryGet<ProcessWideCounterState>(StateName, Grain("b"), out var b) ? b.Value : -1, Is.EqualTo(3));
            Assert.That(store.TryGet<ProcessWideCounterState>(StateName, Grain("c"), out _), Is.False);
        }
    }

    [Test]
    public async Task StoredState_IsACopy_NeitherTheWrittenNorAReadInstance()
    {
        var store = new ProcessWideGrainStorage();
        var written = Counter(1);
        await store.WriteStateAsync(StateName, Grain("a"), written);

        written.State!.Value = 100;
        var first = new GrainState<ProcessWideCounterState>();
        await store.ReadStateAsync(StateName, Grain("a"), first);
        first.State!.Value = 200;
        var second = new GrainState<ProcessWideCounterState>();
        await store.ReadStateAsync(StateName, Grain("a"), second);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(second.State!.Value, Is.EqualTo(1), "changing the written or a read instance changes nothing stored");
            Assert.That(second.State, Is.Not.SameAs(first.State));
            Assert.That(second.State, Is.Not.SameAs(written.State));
        }
    }

    [Test]
    public async Task WriteStateAsync_StaleETag_ThrowsInconsistentStateAndKeepsTheStoredVersion()
    {
        var store = new ProcessWideGrainStorage();
        await store.WriteStateAsync(StateName, Grain("a"), Counter(1));
        var mine = new GrainState<ProcessWideCounterState>();
        var theirs = new GrainState<ProcessWideCounterState>();
        await store.ReadStateAsync(StateName, Grain("a"), mine);
        await store.ReadStateAsync(StateName, Grain("a"), theirs);
        theirs.State!.Value = 2;
        await store.WriteStateAsync(StateName, Grain("a"), theirs);
        var staleETag = mine.ETag;
        mine.State!.Value = 3;

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => store.WriteStateAsync(StateName, Grain("a"), mine));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error!.StoredEtag, Is.EqualTo(theirs.ETag));
            Assert.That(error.CurrentEtag, Is.EqualTo(staleETag));
            Assert.That(mine.ETag, Is.EqualTo(staleETag), "a refused write leaves the caller's ETag");
            Assert.That(store.TryGet<ProcessWideCounterState>(StateName, Grain("a"), out var stored) ? stored.Value : -1, Is.EqualTo(2));
            Assert.That(store.GetETag(StateName, Grain("a")), Is.EqualTo(theirs.ETag));
            Assert.That(store.Writes, Is.EqualTo(2));
        }
    }

    [Test]
    public async Task WriteStateAsync_ETagWithoutRecord_ThrowsAndStoresNothing()
    {
        var store = new ProcessWideGrainStorage();

        await Assert.ThrowsAsync<InconsistentStateException>(() => store.WriteStateAsync(StateName, Grain("a"), Counter(1, etag: "1")));

        Assert.That(store.Count, Is.Zero);
        await store.WriteStateAsync(StateName, Grain("a"), Counter(1, etag: ProcessWideGrainStorage.AnyETag));
        Assert.That(store.Count, Is.EqualTo(1), "\"*\" matches anything, as in Orleans' providers");
    }

    [Test]
    public async Task WriteStateAsync_ConcurrentWritersWithOneETag_ExactlyOneWins()
    {
        var store = new ProcessWideGrainStorage();
        var initial = Counter(0);
        await store.WriteStateAsync(StateName, Grain("a"), initial);

        var writers = Enumerable.Range(1, 16).Select(i => Task.Run(async () =>
        {
            try
            {
                await store.WriteStateAsync(StateName, Grain("a"), Counter(i, initial.ETag));
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));
        var outcomes = await Task.WhenAll(writers);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcomes.Count(won => won), Is.EqualTo(1));
            Assert.That(store.Writes, Is.EqualTo(2));
        }
    }

    [Test]
    public async Task ClearStateAsync_RemovesTheRecordAndResetsTheGrainState()
    {
        var store = new ProcessWideGrainStorage();
        var state = Counter(5);
        await store.WriteStateAsync(StateName, Grain("a"), state);
        var oldETag = state.ETag;

        await store.ClearStateAsync(StateName, Grain("a"), state);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(state.ETag, Is.Null);
            Assert.That(state.RecordExists, Is.False);
            Assert.That(state.State, Is.Not.Null);
            Assert.That(state.State!.Value, Is.Zero, "a new empty state, as Orleans' providers give");
            Assert.That(store.Count, Is.Zero);
        }

        var reread = new GrainState<ProcessWideCounterState>();
        await store.ReadStateAsync(StateName, Grain("a"), reread);
        Assert.That(reread.RecordExists, Is.False);

        // Cleared, then written again with the ETag null that Clear left: the new ETag is not the old one.
        state.State!.Value = 6;
        await store.WriteStateAsync(StateName, Grain("a"), state);
        Assert.That(state.ETag, Is.Not.EqualTo(oldETag));
        var stale = Counter(9, oldETag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => store.WriteStateAsync(StateName, Grain("a"), stale));
    }

    [Test]
    public async Task ClearStateAsync_StaleETag_ThrowsAndKeepsTheRecord()
    {
        var store = new ProcessWideGrainStorage();
        var state = Counter(5);
        await store.WriteStateAsync(StateName, Grain("a"), state);
        var stale = Counter(5, "not-" + state.ETag);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => store.ClearStateAsync(StateName, Grain("a"), stale));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error!.StoredEtag, Is.EqualTo(state.ETag));
            Assert.That(store.Count, Is.EqualTo(1));
        }

        await Assert.DoesNotThrowAsync(() => store.ClearStateAsync(StateName, Grain("b"), new GrainState<ProcessWideCounterState>()),
            "clearing a missing record with ETag null is a no-op");
    }

    [Test]
    public async Task BindTo_SharesRecordsAndCountersWithTheStore()
    {
        var store = new ProcessWideGrainStorage();
        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var view = store.BindTo(services);

        await view.WriteStateAsync(StateName, Grain("a"), Counter(4));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(store.Count, Is.EqualTo(1));
            Assert.That(store.Writes, Is.EqualTo(1));
            Assert.That(store.TryGet<ProcessWideCounterState>(StateName, Grain("a"), out var stored) ? stored.Value : -1, Is.EqualTo(4));
        }
    }

    // ---- reminder table ----

    private static ReminderEntry Reminder(GrainId grain, string name) => new()
    {
        GrainId = grain,
        ReminderName = name,
        StartAt = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        Period = TimeSpan.FromMinutes(5),
    };

    [Test]
    public async Task UpsertRow_StoresACopyAndReturnsANewETagEachTime()
    {
        var table = new ProcessWideReminderTable();
        var entry = Reminder(Grain("a"), "tick");

        var first = await table.UpsertRow(entry);
        entry.Period = TimeSpan.FromHours(1);
        var read = await table.ReadRow(Grain("a"), "tick");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Is.Not.Null);
            Assert.That(entry.ETag, Is.Null, "the caller's entry is not changed");
            Assert.That(read, Is.Not.Null);
            Assert.That(read!.ETag, Is.EqualTo(first));
            Assert.That(read.Period, Is.EqualTo(TimeSpan.FromMinutes(5)), "changing the upserted entry changes nothing stored");
        }

        read.Period = TimeSpan.FromDays(1);
        var second = await table.UpsertRow(entry);
        var reread = await table.ReadRow(Grain("a"), "tick");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(second, Is.Not.EqualTo(first));
            Assert.That(reread!.ETag, Is.EqualTo(second));
            Assert.That(reread.Period, Is.EqualTo(TimeSpan.FromHours(1)), "the upsert replaced the row; the changed read copy did not count");
            Assert.That(table.Count, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task RemoveRow_ChecksTheETag()
    {
        var table = new ProcessWideReminderTable();
        var etag = await table.UpsertRow(Reminder(Grain("a"), "tick"));

        var stale = await table.RemoveRow(Grain("a"), "tick", "not-" + etag);
        Assert.That(stale, Is.False);
        Assert.That(await table.ReadRow(Grain("a"), "tick"), Is.Not.Null);

        var removed = await table.RemoveRow(Grain("a"), "tick", etag!);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(removed, Is.True);
            Assert.That(await table.ReadRow(Grain("a"), "tick"), Is.Null);
            Assert.That(table.Count, Is.Zero);
            Assert.That(await table.RemoveRow(Grain("a"), "tick", etag!), Is.False, "a missing row");
        }
    }

    [Test]
    public async Task ReadRowsOfAGrain_GivesItsRowsOnly_AndClearEmptiesTheTable()
    {
        var table = new ProcessWideReminderTable();
        await table.UpsertRow(Reminder(Grain("a"), "one"));
        await table.UpsertRow(Reminder(Grain("a"), "two"));
        await table.UpsertRow(Reminder(Grain("b"), "one"));

        var rows = await table.ReadRows(Grain("a"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rows.Reminders.Select(r => r.ReminderName), Is.EquivalentTo(new[] { "one", "two" }));
            Assert.That(rows.Reminders.All(r => r.GrainId == Grain("a")), Is.True);
            Assert.That((await table.ReadRows(Grain("c"))).Reminders, Is.Empty);
            Assert.That(table.Count, Is.EqualTo(3));
            Assert.That(table.Snapshot(), Has.Count.EqualTo(3));
        }

        await table.TestOnlyClearTable();
        Assert.That(table.Count, Is.Zero);
        Assert.That((await table.ReadRows(0, 0)).Reminders, Is.Empty);
    }

    [TestCase(10u, 20u, 10u, false)]
    [TestCase(10u, 20u, 11u, true)]
    [TestCase(10u, 20u, 20u, true)]
    [TestCase(10u, 20u, 21u, false)]
    [TestCase(4_000_000_000u, 5u, 4_000_000_000u, false)]
    [TestCase(4_000_000_000u, 5u, 4_000_000_001u, true)]
    [TestCase(4_000_000_000u, 5u, uint.MaxValue, true)]
    [TestCase(4_000_000_000u, 5u, 0u, true)]
    [TestCase(4_000_000_000u, 5u, 5u, true)]
    [TestCase(4_000_000_000u, 5u, 6u, false)]
    [TestCase(7u, 7u, 7u, true)]
    [TestCase(7u, 7u, 0u, true)]
    [TestCase(0u, 0u, uint.MaxValue, true)]
    public void InRange_IsTheRingRangeBeginExclusiveEndInclusive(uint begin, uint end, uint hash, bool expected) =>
        Assert.That(ProcessWideReminderTable.InRange(hash, begin, end), Is.EqualTo(expected));

    [Test]
    public async Task ReadRowsOfARange_SelectsByUniformHash_IncludingWrapAround()
    {
        var table = new ProcessWideReminderTable();
        var grains = Enumerable.Range(0, 4).Select(i => Grain("ring-" + i)).OrderBy(g => g.GetUniformHashCode()).ToArray();
        Assert.That(grains.Select(g => g.GetUniformHashCode()).Distinct().Count(), Is.EqualTo(4), "test needs four distinct hashes");
        foreach (var grain in grains)
        {
            await table.UpsertRow(Reminder(grain, "tick"));
        }

        var h = grains.Select(g => g.GetUniformHashCode()).ToArray();

        async Task<GrainId[]> Range(uint begin, uint end) => (await table.ReadRows(begin, end)).Reminders.Select(r => r.GrainId).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Range(h[0], h[2]), Is.EquivalentTo(new[] { grains[1], grains[2] }), "(h0, h2]: begin excluded, end included");
            Assert.That(await Range(h[2], h[0]), Is.EquivalentTo(new[] { grains[3], grains[0] }), "(h2, h0] wraps round zero");
            Assert.That(await Range(h[3], h[0]), Is.EquivalentTo(new[] { grains[0] }), "(h3, h0] wraps: only h0");
            Assert.That(await Range(h[1], h[1]), Is.EquivalentTo(grains), "begin == end is the whole ring");
        }
    }

    // ---- in a cluster: a silo dies, nothing is lost ----

    [Test]
    public async Task Cluster_SiloHoldingTheGrainIsKilled_StateAndReminderSurvive()
    {
        var store = new ProcessWideGrainStorage();
        var table = new ProcessWideReminderTable();
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddProcessWideGrainStorage(StorageName, store);
            silo.UseProcessWideReminders(table);
        });

        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            var doomed = cluster.Silos[1];
            var survivor = cluster.Silos[0];
            var onDoomed = doomed.ServiceProvider.GetRequiredService<IGrainFactory>().GetGrain<IProcessWideCounterGrain>("alice");

            Assert.That(await onDoomed.Host(), Is.EqualTo(doomed.SiloAddress), "[PreferLocalPlacement] put the grain on the silo that called it");
            Assert.That(await onDoomed.Add(41), Is.EqualTo(41));
            Assert.That(await onDoomed.Add(1), Is.EqualTo(42));
            await onDoomed.RegisterReminder("tick");
            var grainId = onDoomed.GetGrainId();
            Assert.That(table.Count, Is.EqualTo(1));

            await cluster.KillSiloAsync(doomed);

            using (Assert.EnterMultipleScope())
            {
                Assert.That(store.TryGet<ProcessWideCounterState>(StateName, grainId, out var stored) ? stored.Value : -1, Is.EqualTo(42));
                Assert.That(await table.ReadRow(grainId, "tick"), Is.Not.Null);
            }

            var onSurvivor = survivor.ServiceProvider.GetRequiredService<IGrainFactory>().GetGrain<IProcessWideCounterGrain>("alice");
            var host = await EventuallyAsync(() => onSurvivor.Host(), TimeSpan.FromSeconds(15));
            using (Assert.EnterMultipleScope())
            {
                Assert.That(host, Is.EqualTo(survivor.SiloAddress), "reactivated on the survivor");
                Assert.That(await onSurvivor.Get(), Is.EqualTo(42), "the state written on the dead silo");
                Assert.That(await onSurvivor.HasReminder("tick"), Is.True, "the survivor's reminder service reads the reminder the dead silo registered");
            }
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    /// <summary>Calls until the call succeeds (while the cluster learns that a silo died), failing after <paramref name="timeout"/>.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> call, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception) when (clock.Elapsed < timeout)
            {
                await Task.Delay(100);
            }
        }
    }
}

/// <summary>A test grain with one persistent counter in the <c>presence</c> storage and reminders.</summary>
internal interface IProcessWideCounterGrain : IGrainWithStringKey
{
    /// <summary>Adds to the counter, writes it, returns it.</summary>
    Task<int> Add(int delta);

    /// <summary>The counter as read at activation and changed since.</summary>
    Task<int> Get();

    /// <summary>The silo this activation lives on.</summary>
    Task<SiloAddress> Host();

    /// <summary>Registers (or updates) a reminder far in the future.</summary>
    Task RegisterReminder(string name);

    /// <summary>Whether the reminder service knows the reminder.</summary>
    Task<bool> HasReminder(string name);
}

/// <summary>The counter grain's state.</summary>
[GenerateSerializer]
internal sealed class ProcessWideCounterState
{
    /// <summary>The counter.</summary>
    [Id(0)]
    public int Value { get; set; }
}

[PreferLocalPlacement]
internal sealed class ProcessWideCounterGrain(
    [PersistentState("counter", ProcessWideProvidersTests.StorageName)] IPersistentState<ProcessWideCounterState> counter,
    ILocalSiloDetails silo) : Grain, IProcessWideCounterGrain, IRemindable
{
    public async Task<int> Add(int delta)
    {
        counter.State.Value += delta;
        await counter.WriteStateAsync();
        return counter.State.Value;
    }

    public Task<int> Get() => Task.FromResult(counter.State.Value);

    public Task<SiloAddress> Host() => Task.FromResult(silo.SiloAddress);

    public Task RegisterReminder(string name) => this.RegisterOrUpdateReminder(name, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10));

    public async Task<bool> HasReminder(string name) => await this.GetReminder(name) is not null;

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}
