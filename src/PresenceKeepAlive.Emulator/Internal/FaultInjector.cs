namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>Holds the fault rules and picks the one (if any) that fires for a request.</summary>
internal sealed class FaultInjector
{
    private readonly Random? seeded;
    private readonly object writeGate = new();
    private ActiveRule[] rules = [];

    public FaultInjector(int? randomSeed)
    {
        seeded = randomSeed is { } seed ? new Random(seed) : null;
    }

    public IReadOnlyList<FaultRule> Rules
    {
        get
        {
            var current = Volatile.Read(ref rules);
            var result = new List<FaultRule>(current.Length);
            foreach (var rule in current)
            {
                if (!rule.Spent)
                {
                    result.Add(rule.Rule);
                }
            }

            return result;
        }
    }

    public void Add(FaultRule rule)
    {
        rule.Validate();
        lock (writeGate)
        {
            var current = rules;
            var next = new ActiveRule[current.Length + 1];
            current.CopyTo(next, 0);
            next[^1] = new ActiveRule(rule);
            Volatile.Write(ref rules, next);
        }
    }

    public void Clear()
    {
        lock (writeGate)
        {
            Volatile.Write(ref rules, []);
        }
    }

    /// <summary>Returns the first rule that fires for this request, taking one of its uses.</summary>
    public FaultRule? Match(EmulatorOperation operation, string path, DateTimeOffset emulatedNow, string tenant = CallerIdentity.NoTenant)
    {
        var current = Volatile.Read(ref rules);
        foreach (var active in current)
        {
            var rule = active.Rule;
            if (active.Spent
                || (rule.Operation is { } only && only != operation)
                || (rule.PathContains is { Length: > 0 } part && !path.Contains(part, StringComparison.OrdinalIgnoreCase))
                || (rule.TenantId is { Length: > 0 } onlyTenant && !string.Equals(onlyTenant, tenant, StringComparison.OrdinalIgnoreCase))
                || (rule.From is { } from && emulatedNow < from)
                || (rule.Until is { } until && emulatedNow >= until)
                || (rule.Probability is { } p && NextDouble() >= p))
            {
                continue;
            }

            if (active.TryTake())
            {
                return rule;
            }
        }

        return null;
    }

    private double NextDouble()
    {
        if (seeded is null)
        {
            return Random.Shared.NextDouble();
        }

        lock (seeded)
        {
            return seeded.NextDouble();
        }
    }

    private sealed class ActiveRule(FaultRule rule)
    {
        private int remaining = rule.Count ?? -1;

        public FaultRule Rule { get; } = rule;

        public bool Spent => Rule.Count is not null && Volatile.Read(ref remaining) <= 0;

        public bool TryTake() => Rule.Count is null || Interlocked.Decrement(ref remaining) >= 0;
    }
}
