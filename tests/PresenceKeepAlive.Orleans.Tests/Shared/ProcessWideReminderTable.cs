using System.Globalization;
using Orleans;
using Orleans.Runtime;

namespace PresenceKeepAlive.Orleans.Tests.Shared;

/// <summary>
/// Reminder table whose rows live in a plain object shared by every silo of the process, not in a grain: killing any
/// silo loses no reminder. For tests and samples that run several silos in one process; register one instance on every
/// silo with <see cref="ProcessWideSiloBuilderExtensions.UseProcessWideReminders"/>.
/// </summary>
/// <remarks>
/// Rows are keyed by (<see cref="GrainId"/>, reminder name). Entries are copied on the way in and on the way out, so no
/// caller ever holds a stored instance. ETags are decimal strings from one counter of the table and never repeat. All
/// members are thread-safe. <see cref="StartAsync"/> and <see cref="StopAsync"/> do nothing: every silo's reminder
/// service starts and stops the table it was given, and a silo that stops must not take the shared table with it.
/// </remarks>
internal sealed class ProcessWideReminderTable : IReminderTable
{
    private readonly object _gate = new();
    private readonly Dictionary<GrainId, Dictionary<string, ReminderEntry>> _rows = [];
    private long _lastETag;
    private int _count;

    /// <summary>Number of rows held now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Copies of all rows held now, in no particular order.</summary>
    public IReadOnlyList<ReminderEntry> Snapshot()
    {
        lock (_gate)
        {
            return _rows.Values.SelectMany(byName => byName.Values).Select(Copy).ToList();
        }
    }

    /// <summary>Does nothing: the table is ready as soon as it is constructed and outlives every silo.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>Does nothing: a silo that stops leaves the shared rows to the others.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>Copies of the rows of <paramref name="grainId"/> (empty when it has none).</summary>
    public Task<ReminderTableData> ReadRows(GrainId grainId)
    {
        lock (_gate)
        {
            var rows = _rows.TryGetValue(grainId, out var byName) ? byName.Values.Select(Copy).ToList() : [];
            return Task.FromResult(new ReminderTableData(rows));
        }
    }

    /// <inheritdoc cref="ReadRows(GrainId)"/>
    public Task<ReminderTableData> ReadRows(GrainId grainId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ReadRows(grainId);
    }

    /// <summary>
    /// Copies of the rows whose <see cref="GrainId.GetUniformHashCode"/> is in the ring range (<paramref name="begin"/>,
    /// <paramref name="end"/>]: when <paramref name="begin"/> &lt; <paramref name="end"/>, hashes above begin and at most
    /// end; otherwise the range wraps round zero and holds hashes above begin or at most end (begin == end is the whole
    /// ring), as <see cref="IReminderTable.ReadRows(uint, uint)"/> requires.
    /// </summary>
    public Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        lock (_gate)
        {
            var rows = new List<ReminderEntry>();
            foreach (var (grainId, byName) in _rows)
            {
                if (InRange(grainId.GetUniformHashCode(), begin, end))
                {
                    rows.AddRange(byName.Values.Select(Copy));
                }
            }

            return Task.FromResult(new ReminderTableData(rows));
        }
    }

    /// <inheritdoc cref="ReadRows(uint, uint)"/>
    public Task<ReminderTableData> ReadRows(uint begin, uint end, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ReadRows(begin, end);
    }

    /// <summary>A copy of the row (<paramref name="grainId"/>, <paramref name="reminderName"/>), or <see langword="null"/> when there is none.</summary>
    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        lock (_gate)
        {
            var row = _rows.TryGetValue(grainId, out var byName) && byName.TryGetValue(reminderName, out var entry) ? Copy(entry) : null;
            return Task.FromResult(row);
        }
    }

    /// <inheritdoc cref="ReadRow(GrainId, string)"/>
    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ReadRow(grainId, reminderName);
    }

    /// <summary>
    /// Stores a copy of <paramref name="entry"/> under (GrainId, ReminderName), replacing any row there whatever its ETag
    /// (an upsert, as in Orleans' tables), and returns the row's new ETag. <paramref name="entry"/> itself is not changed.
    /// </summary>
    public Task<string?> UpsertRow(ReminderEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(entry.ReminderName);
        var stored = Copy(entry);
        stored.ETag = Interlocked.Increment(ref _lastETag).ToString(CultureInfo.InvariantCulture);
        lock (_gate)
        {
            if (!_rows.TryGetValue(stored.GrainId, out var byName))
            {
                byName = new Dictionary<string, ReminderEntry>(StringComparer.Ordinal);
                _rows.Add(stored.GrainId, byName);
            }

            if (!byName.ContainsKey(stored.ReminderName))
            {
                _count++;
            }

            byName[stored.ReminderName] = stored;
        }

        return Task.FromResult<string?>(stored.ETag);
    }

    /// <inheritdoc cref="UpsertRow(ReminderEntry)"/>
    public Task<string?> UpsertRow(ReminderEntry entry, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return UpsertRow(entry);
    }

    /// <summary>
    /// Removes the row (<paramref name="grainId"/>, <paramref name="reminderName"/>) if it exists and its ETag is
    /// <paramref name="eTag"/>; <see langword="true"/> if it was removed, <see langword="false"/> (nothing changed) if
    /// there was no such row or the ETag did not match.
    /// </summary>
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        lock (_gate)
        {
            if (!_rows.TryGetValue(grainId, out var byName)
                || !byName.TryGetValue(reminderName, out var entry)
                || !string.Equals(entry.ETag, eTag, StringComparison.Ordinal))
            {
                return Task.FromResult(false);
            }

            byName.Remove(reminderName);
            if (byName.Count == 0)
            {
                _rows.Remove(grainId);
            }

            _count--;
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc cref="RemoveRow(GrainId, string, string)"/>
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return RemoveRow(grainId, reminderName, eTag);
    }

    /// <summary>Removes every row.</summary>
    public Task TestOnlyClearTable()
    {
        lock (_gate)
        {
            _rows.Clear();
            _count = 0;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc cref="TestOnlyClearTable()"/>
    public Task TestOnlyClearTable(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return TestOnlyClearTable();
    }

    /// <summary>The ring-range rule of <see cref="IReminderTable.ReadRows(uint, uint)"/>: is <paramref name="hash"/> in (begin, end]?</summary>
    internal static bool InRange(uint hash, uint begin, uint end) =>
        begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

    private static ReminderEntry Copy(ReminderEntry entry) => new()
    {
        GrainId = entry.GrainId,
        ReminderName = entry.ReminderName,
        StartAt = entry.StartAt,
        Period = entry.Period,
        ETag = entry.ETag,
    };
}
