namespace PresenceKeepAlive.Emulator;

/// <summary>Live request counters of an emulator. Only Graph requests (under <c>v1.0/</c> and <c>beta/</c>) are counted.</summary>
public sealed class EmulatorCounters
{
    private static readonly EmulatorOperation[] Operations = Enum.GetValues<EmulatorOperation>();
    private readonly long[] byOperation = new long[Operations.Length];
    private long total;
    private long throttled;
    private long unauthorized;
    private long injectedFaults;

    internal EmulatorCounters()
    {
    }

    /// <summary>Gets how many Graph requests arrived, whatever their outcome.</summary>
    public long TotalRequests => Interlocked.Read(ref total);

    /// <summary>Gets how many requests were answered 429 by the emulator's throttling (not by injected faults).</summary>
    public long ThrottledRequests => Interlocked.Read(ref throttled);

    /// <summary>Gets how many requests were answered 401 for a missing bearer token.</summary>
    public long UnauthorizedRequests => Interlocked.Read(ref unauthorized);

    /// <summary>Gets how many requests got an injected fault (status, delay or dropped connection).</summary>
    public long InjectedFaults => Interlocked.Read(ref injectedFaults);

    /// <summary>Gets a snapshot of the request count of every operation, rejected requests included.</summary>
    public IReadOnlyDictionary<EmulatorOperation, long> ByOperation
    {
        get
        {
            var result = new Dictionary<EmulatorOperation, long>(Operations.Length);
            foreach (var operation in Operations)
            {
                result[operation] = GetCount(operation);
            }

            return result;
        }
    }

    /// <summary>Gets how many requests arrived for one operation, rejected requests included.</summary>
    /// <param name="operation">The operation.</param>
    /// <returns>The count.</returns>
    public long GetCount(EmulatorOperation operation) => Interlocked.Read(ref byOperation[(int)operation]);

    internal void CountRequest(EmulatorOperation operation)
    {
        Interlocked.Increment(ref total);
        Interlocked.Increment(ref byOperation[(int)operation]);
    }

    internal void CountThrottled() => Interlocked.Increment(ref throttled);

    internal void CountUnauthorized() => Interlocked.Increment(ref unauthorized);

    internal void CountFault() => Interlocked.Increment(ref injectedFaults);
}
