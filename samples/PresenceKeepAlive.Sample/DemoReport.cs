namespace PresenceKeepAlive.Sample;

/// <summary>What the demo script checked, read after the host has stopped.</summary>
internal sealed class DemoReport
{
    private readonly List<string> _failures = [];

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    public void Check(bool condition, string failure)
    {
        if (!condition)
        {
            lock (_failures)
            {
                _failures.Add(failure);
            }
        }
    }
}
