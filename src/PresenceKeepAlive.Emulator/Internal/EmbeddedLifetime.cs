using Microsoft.Extensions.Hosting;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>A host lifetime that hooks no process signals: the embedding app (or Program) decides when to stop.</summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
