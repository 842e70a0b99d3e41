using System.Collections.Concurrent;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>A token bucket per app and tenant (<see cref="KeyFor"/>): <c>limit</c> tokens, refilled evenly over the window, in emulated time.</summary>
internal sealed class Throttler
{
    private readonly ConcurrentDictionary<string, Bucket> buckets = new(StringComparer.Ordinal);
    private readonly double capacity;
    private readonly double tokensPerTick;
    private readonly Func<string, Bucket> createBucket;

    public Throttler(int limit, TimeSpan window, EmulatedClock clock)
    {
        capacity = limit;
        tokensPerTick = limit / (double)window.Ticks;
        createBucket = _ => new Bucket(capacity, clock.Now);
    }

    /// <summary>Returns the bucket key of <paramref name="app"/> in <paramref name="tenant"/>.</summary>
    public static string KeyFor(string app, string tenant) => tenant.Length == 0 ? app : app + "@" + tenant;

    /// <summary>Takes one token; when none is left, returns the emulated time until one is.</summary>
    public bool TryAcquire(string app, DateTimeOffset now, out TimeSpan wait)
    {
        var bucket = buckets.GetOrAdd(app, createBucket);
        lock (bucket)
        {
            if (now > bucket.Updated)
            {
                bucket.Tokens = Math.Min(capacity, bucket.Tokens + ((now - bucket.Updated).Ticks * tokensPerTick));
                bucket.Updated = now;
            }

            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                wait = TimeSpan.Zero;
                return true;
            }

            wait = TimeSpan.FromTicks((long)Math.Ceiling((1 - bucket.Tokens) / tokensPerTick));
            return false;
        }
    }

    private sealed class Bucket(double tokens, DateTimeOffset updated)
    {
        public double Tokens { get; set; } = tokens;

        public DateTimeOffset Updated { get; set; } = updated;
    }
}
