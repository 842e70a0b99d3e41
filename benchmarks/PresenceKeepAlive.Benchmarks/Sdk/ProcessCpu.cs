using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PresenceKeepAlive.Benchmarks.Sdk;

/// <summary>
/// The process's CPU time (all threads, user + kernel). On Linux from <c>clock_gettime(CLOCK_PROCESS_CPUTIME_ID)</c>,
/// which is exact to the nanosecond; <see cref="Process.TotalProcessorTime"/> there reads <c>/proc/self/stat</c> in
/// 10 ms clock ticks, too coarse for short rounds. Elsewhere <see cref="Process.TotalProcessorTime"/>.
/// </summary>
internal static class ProcessCpu
{
    private const int ClockProcessCpuTimeId = 2;

    public static TimeSpan Now()
    {
        if (OperatingSystem.IsLinux() && clock_gettime(ClockProcessCpuTimeId, out var ts) == 0)
        {
            return TimeSpan.FromTicks((ts.Seconds * TimeSpan.TicksPerSecond) + (ts.Nanoseconds / 100));
        }

        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int clock_gettime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
