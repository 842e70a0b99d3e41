using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.Tests.Docs;

// The README's "change presence from your own code" example, kept here so that it compiles and works.
public sealed class CallEvents(IPresenceSessionManager presence)
{
    public Task OnCallStartedAsync(string userId, CancellationToken cancellationToken) =>
        presence.GetOrCreate(userId).SetAsync(PresenceState.BusyInACall, cancellationToken);

    public Task OnCallEndedAsync(string userId, CancellationToken cancellationToken) =>
        presence.GetOrCreate(userId).SetAsync(PresenceState.Available, cancellationToken);
}

public class ReadmeExamplesTests
{
    [Test]
    public async Task CallEvents_CallStartsThenEnds_SetsBusyInACallThenAvailable()
    {
        using var graph = new RecordingGraphHandler();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        services.AddSingleton<CallEvents>();
        services.AddPresenceSession(o =>
            {
                o.ClientId = "11111111-2222-3333-4444-555555555555";
                o.Credential = new FixedTokenCredential("t");
            })
            .HttpClientBuilder.ConfigurePrimaryHttpMessageHandler(() => graph);
        await using var provider = services.BuildServiceProvider();
        var calls = provider.GetRequiredService<CallEvents>();

        await calls.OnCallStartedAsync("adele@contoso.com", CancellationToken.None);
        await calls.OnCallEndedAsync("adele@contoso.com", CancellationToken.None);

        var states = graph.Requests
            .Where(r => r.Operation == "setPresence")
            .Select(r => $"{r.Json!["availability"]}/{r.Json!["activity"]}");
        Assert.That(states, Is.EqualTo(new[] { "Busy/InACall", "Available/Available" }));
    }
}
