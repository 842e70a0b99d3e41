using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.WebSample;

namespace PresenceKeepAlive.Samples.Tests.WebSample;

/// <summary>
/// The web sample as it runs (its Program, its appsettings, its MapHealthChecks), with its Graph calls going over loopback
/// to an in-process emulator. One <see cref="FakeTimeProvider"/> is both the app's <see cref="TimeProvider"/> and the
/// emulator's clock, so minutes of outage pass in milliseconds; the clock moves only while no Graph request is in flight.
/// </summary>
public sealed class WebSampleHealthTests
{
    private const string ClientId = "22553876-f5ab-4529-bffb-cfe50aa89f87";
    private const string User = "adele@contoso.com";
    private static readonly TimeSpan RealTimeCap = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(2);

    private FakeTimeProvider _time = null!;
    private PresenceEmulator _emulator = null!;
    private InFlightCounter _graphRequests = null!;
    private WebApplicationFactory<CallEventsMarker> _factory = null!;
    private HttpClient _client = null!;

    [SetUp]
    public async Task SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
        _emulator = await PresenceEmulator.StartAsync(new PresenceEmulatorOptions { TimeProvider = _time, TimeScale = 1 });
        var appTime = new ObservedTimeProvider(_time);
        _graphRequests = new InFlightCounter(appTime);
        _factory = new WebApplicationFactory<CallEventsMarker>().WithWebHostBuilder(web =>
        {
            web.UseSetting("PresenceKeepAlive:ClientId", ClientId);
            web.UseSetting("PresenceKeepAlive:BaseUrl", _emulator.GraphV1Url.ToString());

            // Every retry is then the session's own, dispatched by the scheduler, so the test can tell when the library
            // waits for the clock; Polly's waits inside a send resume on a pool thread that a busy machine may not run
            // before the next step, and the clock would run past the outage's Degraded stretch.
            web.UseSetting("PresenceKeepAlive:MaxRetryAttempts", "0");
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton<TimeProvider>(appTime);
                // AddPresenceSession is idempotent: called again, it only hands back the library's HTTP client builder.
                services.AddPresenceSession().HttpClientBuilder.AddHttpMessageHandler(_graphRequests.CreateHandler);
            });
        });
        _client = _factory.CreateClient();
    }

    [TearDown]
    public async Task TearDown()
    {
        _emulator.ClearFaults();
        _client.Dispose();
        await _factory.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    [Test]
    public async Task PostCallStartedAndEnded_SetsBusyInACallThenAvailable()
    {
        using var started = await _client.PostAsync(new Uri($"/calls/{User}/started", UriKind.Relative), content: null);
        var during = _emulator.GetPresence(User);
        using var ended = await _client.PostAsync(new Uri($"/calls/{User}/ended", UriKind.Relative), content: null);
        var after = _emulator.GetPresence(User);

        Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That($"{during.Availability}/{during.Activity}", Is.EqualTo("Busy/InACall"));
        Assert.That(ended.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That($"{after.Availability}/{after.Activity}", Is.EqualTo("Available/Available"));
    }

    [Test]
    public async Task PostCallStarted_NotAUserId_IsBadRequest()
    {
        using var response = await _client.PostAsync(new Uri("/calls/not%20a%20user/started", UriKind.Relative), content: null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Not a user id"));
    }

    [Test]
    public async Task Health_DuringAnEmulatorOutage_TurnsDegradedThenUnhealthyAndHealthyAfterIt()
    {
        using var started = await _client.PostAsync(new Uri($"/calls/{User}/started", UriKind.Relative), content: null);
        Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var confirmedAt = _time.GetUtcNow();
        Assert.That(await GetHealthAsync(), Is.EqualTo((HttpStatusCode.OK, "Healthy")));

        _emulator.AddFault(new FaultRule { StatusCode = 503 });
        var degradedAt = await AdvanceUntilHealthAsync("Degraded", HttpStatusCode.OK);
        var unhealthyAt = await AdvanceUntilHealthAsync("Unhealthy", HttpStatusCode.ServiceUnavailable);
        _emulator.ClearFaults();
        var healthyAt = await AdvanceUntilHealthAsync("Healthy", HttpStatusCode.OK);

        TestContext.Out.WriteLine($"Degraded after {degradedAt - confirmedAt}, Unhealthy after {unhealthyAt - confirmedAt}, Healthy {healthyAt - unhealthyAt} later.");

        // Degraded once the refresh due at 4:35 fails and the session retries, unconfirmed past half the 5-minute timeout;
        // Unhealthy once it lapsed (1 of 1 session, above the 10% allowed), which cannot happen before the timeout;
        // Healthy again as soon as a retry lands after the outage, with the state re-applied.
        Assert.That(degradedAt - confirmedAt, Is.GreaterThan(TimeSpan.FromMinutes(4.5)).And.LessThan(TimeSpan.FromMinutes(5)));
        Assert.That(unhealthyAt - confirmedAt, Is.GreaterThanOrEqualTo(TimeSpan.FromMinutes(5)).And.LessThan(TimeSpan.FromMinutes(6)));
        Assert.That(healthyAt - unhealthyAt, Is.LessThan(TimeSpan.FromMinutes(2)));
        var presence = _emulator.GetPresence(User);
        Assert.That($"{presence.Availability}/{presence.Activity}", Is.EqualTo("Busy/InACall"));
    }

    private async Task<(HttpStatusCode Status, string Body)> GetHealthAsync()
    {
        using var response = await _client.GetAsync(new Uri("/health", UriKind.Relative));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Moves the clock a step at a time (each once the app is quiet: see <see cref="InFlightCounter.IsQuiet"/>) until <c>/health</c> reports
    /// <paramref name="expected"/>; returns the fake time it did. Fails after 10 fake minutes or <see cref="RealTimeCap"/>.
    /// </summary>
    private async Task<DateTimeOffset> AdvanceUntilHealthAsync(string expected, HttpStatusCode expectedStatus)
    {
        var giveUpAt = _time.GetUtcNow().AddMinutes(10);
        var real = System.Diagnostics.Stopwatch.StartNew();
        var seen = new List<string>();
        while (true)
        {
            while (!_graphRequests.IsQuiet)
            {
                if (real.Elapsed > RealTimeCap)
                {
                    Assert.Fail($"The app did not settle (a Graph request in flight, or no timer armed after one) within {RealTimeCap.TotalSeconds:0} s of real time.");
                }

                await Task.Yield();
            }

            var (status, body) = await GetHealthAsync();
            if (seen.Count == 0 || seen[^1] != body)
            {
                seen.Add(body);
            }

            if (body == expected)
            {
                Assert.That(status, Is.EqualTo(expectedStatus), $"/health said {body}");
                return _time.GetUtcNow();
            }

            if (_time.GetUtcNow() >= giveUpAt || real.Elapsed > RealTimeCap)
            {
                Assert.Fail($"/health never said {expected}; it said {string.Join(", then ", seen)}. Session: {Describe()}.");
            }

            _time.Advance(Step);
        }
    }

    private string Describe() =>
        _factory.Services.GetRequiredService<IPresenceSessionManager>().TryGet(User, out var s)
            ? $"{s.Status}, confirmed {s.LastConfirmedAt:O}, next {s.NextRefreshAt:O}, error {s.LastError?.Message}"
            : "none";
}
