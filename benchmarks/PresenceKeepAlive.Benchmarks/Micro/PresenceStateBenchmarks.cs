using BenchmarkDotNet.Attributes;

namespace PresenceKeepAlive.Benchmarks.Micro;

/// <summary>Parsing presence pairs from configuration-style text.</summary>
public class PresenceStateBenchmarks
{
    [Benchmark]
    public PresenceState Parse_Pair() => PresenceState.Parse("Busy", "InAConferenceCall");

    [Benchmark]
    public PresenceState Parse_SlashText() => PresenceState.Parse("doNotDisturb/presenting");
}
