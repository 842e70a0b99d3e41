using Microsoft.Extensions.Logging;
using PresenceKeepAlive.Tests.Fakes;

namespace PresenceKeepAlive.Tests.Sessions;

/// <summary>Read-back batches only sessions keyed by an object id: getPresencesByUserId takes nothing else.</summary>
public class ReadBackObjectIdTests
{
    private const string ObjectId = "6e7f8a9b-0c1d-4e2f-8a3b-4c5d6e7f8a9b";
    private const string Upn = "adele@contoso.com";

    [Test]
    public async Task ReadBackCandidates_UserPrincipalNameSession_SkippedWithOneWarning()
    {
        await using var sut = new Sut(new PresenceKeepAliveOptions { SignOffOnDispose = false });
        await sut.Manager.GetOrCreate(ObjectId).SetAsync(PresenceState.BusyInACall).WaitAsync(TimeSpan.FromSeconds(10));
        await sut.Manager.GetOrCreate(Upn).SetAsync(PresenceState.BusyInACall).WaitAsync(TimeSpan.FromSeconds(10));

        var first = sut.Manager.ReadBackCandidates();
        var second = sut.Manager.ReadBackCandidates();
        var warnings = sut.Logger.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning && r.Message.Contains(Upn, StringComparison.Ordinal)).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Is.EqualTo(new[] { ObjectId }), "a user principal name would fail the whole batch");
            Assert.That(second, Is.EqualTo(new[] { ObjectId }));
            Assert.That(warnings, Has.Length.EqualTo(1), "warned once, not every cycle");
            Assert.That(warnings[0].Message, Does.Contain("object id"));
        }
    }
}
