using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PresenceKeepAlive.Sample;

/// <summary>With real configuration: prints the sessions every 30 seconds until the host stops.</summary>
internal sealed class LiveView(IPresenceSessionManager manager, IOptions<PresenceKeepAliveOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Console.WriteLine($"Keeping {options.Value.Sessions.Count} users' presence alive through {options.Value.BaseUrl}. Ctrl+C signs them off and stops.");
        var users = options.Value.Sessions.Select(s => s.UserId).ToArray();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(30), time);

        // Give the first sends a moment, so the first table shows their outcome.
        await Task.Delay(TimeSpan.FromSeconds(3), time, stoppingToken).ConfigureAwait(false);
        do
        {
            PresenceTable.Print($"{time.GetLocalNow():HH:mm:ss}", users, manager, emulator: null, time);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
