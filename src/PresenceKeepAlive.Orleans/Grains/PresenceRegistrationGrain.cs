using Orleans.Concurrency;
using PresenceKeepAlive.Orleans.Internal;
using PresenceKeepAlive.Orleans.Silo;

namespace PresenceKeepAlive.Orleans.Grains;

/// <summary><see cref="IPresenceRegistrationGrain"/>: a stateless worker on the silo that receives the call, reading through that silo's engine and budget share.</summary>
[StatelessWorker]
internal sealed class PresenceRegistrationGrain(ClusterEngine engine) : Grain, IPresenceRegistrationGrain
{
    public async Task<WireReadings> GetPresencesAsync(List<string> userIds, CancellationToken cancellationToken = default)
    {
        try
        {
            var pool = engine.Pool(this.GetPrimaryKeyString());
            var readings = await pool.GetPresencesAsync(userIds, cancellationToken);
            return new WireReadings
            {
                Readings = readings.Select(r => new WireSeen { UserId = r.UserId, Availability = r.Availability, Activity = r.Activity, ReadAt = r.ReadAt }).ToList(),
            };
        }
        catch (Exception ex) when (ex is PresenceRequestException or ArgumentException or KeyNotFoundException or OperationCanceledException or ObjectDisposedException)
        {
            return new WireReadings { Failure = WireMapping.ToWire(ex is KeyNotFoundException ? new ArgumentException(ex.Message, "registration") : ex) };
        }
    }
}
