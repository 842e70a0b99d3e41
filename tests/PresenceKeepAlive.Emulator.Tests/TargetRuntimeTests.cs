using System.Reflection;
using System.Runtime.Versioning;

namespace PresenceKeepAlive.Emulator.Tests;

public class TargetRuntimeTests
{
    // The net8.0 test run is self-contained so that it runs on .NET 8 itself: a run rolled forward onto the
    // .NET 10 runtime would pass while testing nothing that ships for net8.0.
    [Test]
    public void TestRun_RunsOnTheRuntimeOfItsTargetFramework()
    {
        var target = typeof(TargetRuntimeTests).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()!.FrameworkName;
        var targetMajor = new FrameworkName(target).Version.Major;

        Assert.That(Environment.Version.Major, Is.EqualTo(targetMajor), $"built for {target}, running on {Environment.Version}");
    }
}
