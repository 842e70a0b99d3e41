using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace PresenceKeepAlive.Orleans.Tests.Shared;

/// <summary>
/// Grain storage whose records live in a plain object shared by every silo of the process, not in grains: killing any
/// silo loses nothing. For tests and samples that run several silos in one process.
/// </summary>
/// <remarks>
/// <para>
/// A record is keyed by (state name, <see cref="GrainId"/>) and holds the state as bytes written by the Orleans
/// serializer plus an ETag. Every read deserializes a fresh object, so no caller ever holds the stored instance, and the
/// state type must round-trip through the Orleans serializer (<c>[GenerateSerializer]</c>, <c>[Id]</c> members).
/// </para>
/// <para>
/// ETags are decimal strings from one counter of the store and never repeat (even after a record is cleared and written
/// again), so a stale ETag never matches by accident. A write or clear whose <see cref="IGrainState{T}.ETag"/> is not the
/// stored one (<see langword="null"/> when there is no record; <c>"*"</c> matches anything) throws
/// <see cref="InconsistentStateException"/> and changes nothing. All members are thread-safe; the ETag check and the
/// update are one atomic step.
/// </para>
/// <para>
/// <see cref="ProcessWideSiloBuilderExtensions.AddProcessWideGrainStorage"/> gives each silo a view of this store that
/// shares its records and counters but serializes with that silo's own serializer and activators. An instance used
/// outside a silo (unit tests, <see cref="TryGet{T}"/>) builds its own Orleans serializer on first use.
/// </para>
/// </remarks>
internal sealed class ProcessWideGrainStorage : IGrainStorage
{
    /// <summary>The ETag that matches any stored ETag, as in Orleans' own providers.</summary>
    internal const string AnyETag = "*";

    private readonly SharedRecords _shared;
    private readonly Lazy<Codecs> _codecs;

    /// <summary>Creates an empty store that serializes with a serializer of its own, built on first use.</summary>
    public ProcessWideGrainStorage()
    {
        _shared = new SharedRecords();
        _codecs = new Lazy<Codecs>(Codecs.CreateStandalone, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Creates an empty store that serializes with <paramref name="serializer"/> and creates empty states with <paramref name="activators"/>.</summary>
    public ProcessWideGrainStorage(Serializer serializer, IActivatorProvider activators)
        : this(
            new SharedRecords(),
            new Codecs(serializer ?? throw new ArgumentNullException(nameof(serializer)), activators ?? throw new ArgumentNullException(nameof(activators))))
    {
    }

    private ProcessWideGrainStorage(SharedRecords shared, Codecs codecs)
    {
        _shared = shared;
        _codecs = new Lazy<Codecs>(codecs);
    }

    /// <summary>Number of records held now (cleared records are removed and not counted).</summary>
    public int Count => _shared.Records.Count;

    /// <summary>Number of successful <see cref="WriteStateAsync{T}"/> calls on this store and every view of it.</summary>
    public long Writes => Interlocked.Read(ref _shared.Writes);

    /// <summary>
    /// A view for one silo: same records, ETags and counters as this store, but serialization and empty-state creation
    /// through <paramref name="siloServices"/>' <see cref="Serializer"/> and <see cref="IActivatorProvider"/>.
    /// </summary>
    internal ProcessWideGrainStorage BindTo(IServiceProvider siloServices)
    {
        ArgumentNullException.ThrowIfNull(siloServices);
        return new ProcessWideGrainStorage(
            _shared,
            new Codecs(siloServices.GetRequiredService<Serializer>(), siloServices.GetRequiredService<IActivatorProvider>()));
    }

    /// <summary>
    /// Reads the stored state of <paramref name="grainId"/> under <paramref name="stateName"/> as a fresh copy, with
    /// <see langword="false"/> and <see langword="default"/> when there is no record. Does not touch any grain.
    /// </summary>
    public bool TryGet<T>(string stateName, GrainId grainId, [MaybeNullWhen(false)] out T state)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        if (_shared.Records.TryGetValue(new RecordKey(stateName, grainId), out var record))
        {
            state = _codecs.Value.Serializer.Deserialize<T>(record.Data)!;
            return true;
        }

        state = default;
        return false;
    }

    /// <summary>The stored ETag of <paramref name="grainId"/> under <paramref name="stateName"/>, or <see langword="null"/> when there is no record.</summary>
    public string? GetETag(string stateName, GrainId grainId)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        return _shared.Records.TryGetValue(new RecordKey(stateName, grainId), out var record) ? record.ETag : null;
    }

    /// <summary>
    /// Sets <paramref name="grainState"/> from the record: a fresh deserialized copy of the state, its ETag and
    /// <see cref="IGrainState{T}.RecordExists"/> <see langword="true"/>. Without a record: a new empty state (the type's
    /// activator), ETag <see langword="null"/>, RecordExists <see langword="false"/> — as Orleans' memory storage does.
    /// </summary>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        ArgumentNullException.ThrowIfNull(grainState);

        var codecs = _codecs.Value;
        if (_shared.Records.TryGetValue(new RecordKey(stateName, grainId), out var record))
        {
            var loaded = codecs.Serializer.Deserialize<T>(record.Data);
            grainState.State = loaded ?? codecs.CreateEmpty<T>();
            grainState.ETag = record.ETag;
            grainState.RecordExists = loaded is not null;
        }
        else
        {
            grainState.State = codecs.CreateEmpty<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Stores a serialized copy of <see cref="IGrainState{T}.State"/> if <see cref="IGrainState{T}.ETag"/> matches the
    /// stored ETag (<see langword="null"/> for a new record), then sets the new ETag and RecordExists on
    /// <paramref name="grainState"/>. On a mismatch throws <see cref="InconsistentStateException"/> and stores nothing.
    /// </summary>
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        ArgumentNullException.ThrowIfNull(grainState);

        var key = new RecordKey(stateName, grainId);
        var data = _codecs.Value.Serializer.SerializeToArray(grainState.State);
        while (true)
        {
            if (_shared.Records.TryGetValue(key, out var current))
            {
                ThrowIfMismatch("Write", key, current.ETag, grainState.ETag);
                var next = new Record(data, _shared.NextETag());
                if (_shared.Records.TryUpdate(key, next, current))
                {
                    Written(grainState, next.ETag);
                    return Task.CompletedTask;
                }
            }
            else
            {
                ThrowIfMismatch("Write", key, null, grainState.ETag);
                var next = new Record(data, _shared.NextETag());
                if (_shared.Records.TryAdd(key, next))
                {
                    Written(grainState, next.ETag);
                    return Task.CompletedTask;
                }
            }

            // Another writer changed the record between the read and the swap: check the ETag again against it.
        }
    }

    /// <summary>
    /// Removes the record if <see cref="IGrainState{T}.ETag"/> matches the stored ETag (clearing a missing record with
    /// ETag <see langword="null"/> is a no-op), then sets <paramref name="grainState"/> as Orleans' providers do: ETag
    /// <see langword="null"/>, RecordExists <see langword="false"/>, State a new empty state. On a mismatch throws
    /// <see cref="InconsistentStateException"/> and removes nothing.
    /// </summary>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        ArgumentNullException.ThrowIfNull(grainState);

        var key = new RecordKey(stateName, grainId);
        while (true)
        {
            if (_shared.Records.TryGetValue(key, out var current))
            {
                ThrowIfMismatch("Clear", key, current.ETag, grainState.ETag);
                if (_shared.Records.TryRemove(new KeyValuePair<RecordKey, Record>(key, current)))
                {
                    break;
                }
            }
            else
            {
                ThrowIfMismatch("Clear", key, null, grainState.ETag);
                break;
            }
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = _codecs.Value.CreateEmpty<T>();
        return Task.CompletedTask;
    }

    private void Written<T>(IGrainState<T> grainState, string etag)
    {
        grainState.ETag = etag;
        grainState.RecordExists = true;
        Interlocked.Increment(ref _shared.Writes);
    }

    private static void ThrowIfMismatch(string operation, RecordKey key, string? storedETag, string? givenETag)
    {
        if (string.Equals(storedETag, givenETag, StringComparison.Ordinal) || string.Equals(givenETag, AnyETag, StringComparison.Ordinal))
        {
            return;
        }

        throw new InconsistentStateException(
            $"{operation} of state '{key.StateName}' of grain {key.GrainId}: ETag mismatch (stored '{storedETag ?? "<none>"}', given '{givenETag ?? "<none>"}').",
            storedETag,
            givenETag);
    }

    private readonly record struct RecordKey(string StateName, GrainId GrainId);

    /// <summary>An immutable stored version; compared by reference, so a swap succeeds only against the version that was checked.</summary>
    private sealed class Record(byte[] data, string etag)
    {
        public byte[] Data { get; } = data;

        public string ETag { get; } = etag;
    }

    /// <summary>What the store and all its silo views share.</summary>
    private sealed class SharedRecords
    {
        public readonly ConcurrentDictionary<RecordKey, Record> Records = new();
        public long Writes;
        private long _lastETag;

        public string NextETag() => Interlocked.Increment(ref _lastETag).ToString(CultureInfo.InvariantCulture);
    }

    private sealed class Codecs(Serializer serializer, IActivatorProvider activators)
    {
        public Serializer Serializer { get; } = serializer;

        public T CreateEmpty<T>() => activators.GetActivator<T>().Create();

        /// <summary>
        /// An Orleans serializer outside any silo. It knows the same generated codecs a silo does: both find them in the
        /// process's assemblies that carry Orleans' application-part attribute.
        /// </summary>
        public static Codecs CreateStandalone()
        {
            var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
            return new Codecs(services.GetRequiredService<Serializer>(), services.GetRequiredService<IActivatorProvider>());
        }
    }
}
