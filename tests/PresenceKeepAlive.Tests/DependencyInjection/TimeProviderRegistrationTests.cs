using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.Tests.DependencyInjection;

public class TimeProviderRegistrationTests
{
    [TestCase(true)]
    [TestCase(false)]
    public async Task AddPresenceSession_TimeProviderRegisteredBeforeOrAfter_DrivesTheSessions(bool registeredBefore)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2031, 1, 2, 3, 4, 5, TimeSpan.Zero));
        using var graph = new RecordingGraphHandler();
        var services = new ServiceCollection();
        if (registeredBefore)
        {
            services.AddSingleton<TimeProvider>(time);
        }

        services.AddPresenceSession(o =>
            {
                o.ClientId = "11111111-2222-3333-4444-555555555555";
                o.Credential = new FixedTokenCredential("t");
                o.SignOffOnDispose = false;
            })
            .HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => graph);
        if (!registeredBefore)
        {
            services.AddSingleton<TimeProvider>(time);
        }

        await using var provider = services.BuildServiceProvider();
        var session = provider.GetRequiredService<IPresenceSessionManager>().GetOrCreate("adele@contoso.com");

        await session.SetAsync(PresenceState.Available);

        Assert.That(session.LastConfirmedAt, Is.EqualTo(time.GetUtcNow()));
        Assert.That(session.NextRefreshAt, Is.EqualTo(time.GetUtcNow() + TimeSpan.FromSeconds(275)));
    }
}
