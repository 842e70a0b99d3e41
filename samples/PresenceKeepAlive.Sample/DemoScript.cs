using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using PresenceKeepAlive.Emulator;

namespace PresenceKeepAlive.Sample;

/// <summary>
/// Walks through the demo on the embedded emulator, using only the library's public API, and stops the host at the
/// end; the hosted service then signs every session off.
/// </summary>
internal sealed class DemoScript(
    IPresenceSessionManager manager,
    PresenceEmulator emulator,
    DemoReport report,
    IHostApplicationLifetime lifetime,
    TimeProvider time) : BackgroundService
{
    private readonly long _started = time.GetTimestamp();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // What an application would alert on: a user's presence at risk, or lost for good.
        manager.StatusChanged += OnStatusChanged;
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            report.Check(false, "the demo was interrupted");
        }
        catch (Exception ex)
        {
            report.Check(false, "the demo script failed: " + ex.Message);
        }
        finally
        {
            manager.StatusChanged -= OnStatusChanged;
            lifetime.StopApplication();
        }
    }

    private void OnStatusChanged(object? sender, PresenceSessionStatusChangedEventArgs e)
    {
        if (e.Status is PresenceSessionStatus.Lapsed or PresenceSessionStatus.Failed ||
            (e.Status == PresenceSessionStatus.Active && e.PreviousStatus is PresenceSessionStatus.Lapsed or PresenceSessionStatus.Retrying))
        {
            var reason = e.Error is { } error ? $" ({(int?)error.StatusCode} {error.ErrorCode})" : string.Empty;
            Console.WriteLine($"   ! {e.UserId}: {e.PreviousStatus} -> {e.Status}{reason}");
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // 1. The hosted service has set the four configured users; they are refreshed every ~4 s (4 emulated minutes).
        var allActive = await WaitUntilAsync(
            () => Demo.Users.All(u => manager.TryGet(u, out var s) && s.Status == PresenceSessionStatus.Active),
            TimeSpan.FromSeconds(10),
            cancellationToken);
        report.Check(allActive, "the configured sessions did not all become Active");
        Narrate("1. Keep-alive: four users set on start and refreshed before every 5 s (5-minute) timeout.");
        var keepAliveFrom = emulator.EmulatedNow;
        await ShowAsync(times: 6, every: TimeSpan.FromSeconds(2.5), cancellationToken);
        var fadedWhileKept = emulator.GetHistory()
            .Where(c => c.Timestamp >= keepAliveFrom)
            .Any(c => c.Activity is "AvailableInactive" or "Away" or "Offline");
        report.Check(!fadedWhileKept, "a kept-alive user faded during the keep-alive phase");

        // 2. Graph answers 503 for 8 s (8 emulated minutes); Adele's call ends in the middle of it.
        Narrate("2. Outage: Graph answers 503 for 8 s. The sessions retry; past 5 s they lapse and Available users start to fade.");
        emulator.AddFault(new FaultRule
        {
            StatusCode = 503,
            From = emulator.EmulatedNow,
            Until = emulator.EmulatedNow + TimeSpan.FromMinutes(8),
        });
        await ShowAsync(times: 1, every: TimeSpan.FromSeconds(2), cancellationToken);
        Narrate($"   Adele's call ends during the outage: SetAsync({PresenceState.Available}) is kept and retried until it lands.");
        var callEnded = EndCallAsync();
        await ShowAsync(times: 4, every: TimeSpan.FromSeconds(2), cancellationToken);
        var recovered = await WaitUntilAsync(
            () => Demo.Users.All(u => manager.TryGet(u, out var s) && s.Status == PresenceSessionStatus.Active) &&
                  emulator.GetPresence(Demo.Adele).Availability == "Available",
            TimeSpan.FromSeconds(15),
            cancellationToken);
        Narrate("   Graph is back: every session is Active again and Adele shows the state asked for last.");
        await ShowAsync(times: 1, every: TimeSpan.Zero, cancellationToken);
        report.Check(recovered, "the sessions did not recover after the outage, or Adele's last state did not land");
        await callEnded;

        // 3. Lee's session is dropped without signing off (SignOffOnDispose is false here): nothing refreshes it.
        Narrate("3. Fade: Lee's session is dropped without signing off. Watch 'others see' for Lee fade in stages.");
        var fadeFrom = emulator.EmulatedNow;
        if (manager.TryGet(Demo.Lee, out var lee))
        {
            await lee.DisposeAsync();
        }

        await ShowAsync(times: 8, every: TimeSpan.FromSeconds(2.5), cancellationToken);
        var stages = emulator.GetHistory(Demo.Lee)
            .Where(c => c.Timestamp >= fadeFrom)
            .Select(c => c.Availability + "/" + c.Activity)
            .ToList();
        Narrate("   Lee's stages: " + string.Join(" -> ", stages));
        report.Check(
            stages.SequenceEqual(["Available/AvailableInactive", "Away/Away", "Offline/Offline"]),
            "Lee did not fade Available -> AvailableInactive -> Away -> Offline");

        Narrate("Stopping the host: the hosted service signs every session off.");
    }

    private async Task EndCallAsync()
    {
        if (!manager.TryGet(Demo.Adele, out var adele))
        {
            return;
        }

        try
        {
            await adele.SetAsync(PresenceState.Available);
        }
        catch (PresenceRequestException ex) when (ex.IsTransient)
        {
            // The send failed during the outage; the session keeps wanting Available and retries it.
            Narrate($"   SetAsync threw a transient {(int?)ex.StatusCode} ({ex.ErrorCode}); the desired state stays Available and is retried.");
        }
    }

    private async Task ShowAsync(int times, TimeSpan every, CancellationToken cancellationToken)
    {
        for (var i = 0; i < times; i++)
        {
            if (every > TimeSpan.Zero)
            {
                await Task.Delay(every, time, cancellationToken);
            }

            PresenceTable.Print($"  [{time.GetElapsedTime(_started).TotalSeconds,5:0.0}s]", Demo.Users, manager, emulator, time);
        }
    }

    private async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan limit, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > limit)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }

        return true;
    }

    private static void Narrate(string line)
    {
        Console.WriteLine();
        Console.WriteLine(line);
    }
}
