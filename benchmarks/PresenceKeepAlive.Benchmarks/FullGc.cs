namespace PresenceKeepAlive.Benchmarks;

/// <summary>A full, finalizer-inclusive collection, so memory and allocation figures start from a settled heap.</summary>
internal static class FullGc
{
    public static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
