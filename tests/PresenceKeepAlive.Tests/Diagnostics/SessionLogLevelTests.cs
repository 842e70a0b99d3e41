using System.Net;
using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Tests.Fakes;

namespace PresenceKeepAlive.Tests.Diagnostics;

public class SessionLogLevelTests
{
    [Test]
    public async Task Refresh_FailingLongerThanTheTimeout_WarnsPastHalfTheTimeoutThenOneErrorOnLapseThenQuietRetries()
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        await sut.Manager.GetOrCreate("adele@contoso.com").SetAsync(PresenceState.Available);
        sut.Protocol.Handler = _ => Task.FromException(FakePresenceProtocol.Transient(HttpStatusCode.ServiceUnavailable));

        // The refresh falls due at 4:35, already past half the 5-minute timeout, and keeps failing until 7 min.
        sut.Time.Run(TimeSpan.FromMinutes(7));

        var failures = sut.Logger.Collector.GetSnapshot()
            .Where(r => r.Id.Id is 102 or 103 or 104)
            .Select(r => (r.Id.Id, r.Level))
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(failures.Select(f => f.Id).Distinct(), Is.EqualTo(new[] { 103, 104, 102 }), "warning, then the lapse, then quiet retries");
            Assert.That(failures.Where(f => f.Id == 103).Select(f => f.Level), Is.All.EqualTo(LogLevel.Warning));
            Assert.That(failures.Where(f => f.Id == 104).Select(f => f.Level), Is.EqualTo(new[] { LogLevel.Error }), "one error per lapse");
            Assert.That(failures.Where(f => f.Id == 102).Select(f => f.Level), Is.All.EqualTo(LogLevel.Debug));
        });
    }

    [Test]
    public async Task SetAsync_FirstSendFailsTransiently_LogsDebugBecauseARetryWillFollow()
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        sut.Protocol.Handler = _ => Task.FromException(FakePresenceProtocol.Transient(HttpStatusCode.BadGateway));

        Assert.That(async () => await sut.Manager.GetOrCreate("adele@contoso.com").SetAsync(PresenceState.Available), Throws.TypeOf<PresenceRequestException>());

        SpinWait.SpinUntil(() => sut.Logger.Collector.GetSnapshot().Any(r => r.Id.Id is 102 or 103 or 104), TimeSpan.FromSeconds(10));
        var record = sut.Logger.Collector.GetSnapshot().Single(r => r.Id.Id is 102 or 103 or 104);
        Assert.That((record.Id.Id, record.Level), Is.EqualTo((102, LogLevel.Debug)));
    }

    [Test]
    public async Task SetAsync_PermanentFailure_LogsAnError()
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        sut.Protocol.Handler = _ => Task.FromException(FakePresenceProtocol.Permanent(HttpStatusCode.Forbidden));

        Assert.That(async () => await sut.Manager.GetOrCreate("adele@contoso.com").SetAsync(PresenceState.Available), Throws.TypeOf<PresenceRequestException>());

        // Waiters complete before anything is logged (a failing log provider must not leave a caller hanging).
        SpinWait.SpinUntil(() => sut.Logger.Collector.GetSnapshot().Any(r => r.Id.Id == 105), TimeSpan.FromSeconds(10));
        var record = sut.Logger.Collector.GetSnapshot().Single(r => r.Id.Id == 105);
        Assert.That(record.Level, Is.EqualTo(LogLevel.Error));
        Assert.That(record.Message, Does.Contain("adele@contoso.com").And.Contain("403"));
    }
}
