using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.IntegrationTests.Infrastructure;

namespace PresenceKeepAlive.IntegrationTests;

/// <summary>The library's rate budget against a throttling emulator, with 5-minute timeouts as in Graph.</summary>
public class ThrottlingTests
{
    // 10 requests per 30 s: the library's budget then allows a third of a request a second, enough for about 90
    // sessions refreshed every 4:35; 50 sessions use about 55% of it.
    private const int Limit = 10;
    private const int SessionCount = 50;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    [Test]
    public async Task KeepAlive_BudgetMatchesTheServiceLimit_NoThrottlingAndNoLapseOverHalfAnHour()
    {
        await using var harness = await StartAsync(libraryLimit: Limit);
        var users = Enumerable.Range(0, SessionCount).Select(Users.Numbered).ToArray();
        var sets = users.Select(u => harness.Manager.GetOrCreate(u).SetAsync(PresenceState.Available)).ToArray();

        await harness.AdvanceAsync(TimeSpan.FromMinutes(30));

        await IntegrationHarness.WithinCapAsync(Task.WhenAll(sets), "the first sets");
        var counters = harness.Emulator.Counters;
        var faded = users.SelectMany(u => harness.Emulator.GetHistory(u)).Where(h => h.Activity != "Available").ToList();
        var emulatorLimitOverRun = Limit * (30 * 60 / Window.TotalSeconds);
        TestContext.Out.WriteLine($"{counters.TotalRequests} requests in 30 min against a limit of {emulatorLimitOverRun}; {counters.ThrottledRequests} throttled.");
        Assert.Multiple(() =>
        {
            Assert.That(counters.ThrottledRequests, Is.Zero, "429s counted by the emulator");
            Assert.That(faded, Is.Empty, "presence changes other than the first Available");
            Assert.That(users.Select(u => IntegrationHarness.Describe(harness.Emulator.GetPresence(u))), Is.All.EqualTo("Available/Available"));
            Assert.That(harness.Manager.Sessions.Select(s => s.Status), Is.All.EqualTo(PresenceSessionStatus.Active));
            // One set each, then a refresh every 4:35: no more requests than the deadlines need.
            Assert.That(counters.TotalRequests, Is.EqualTo(SessionCount * (1 + (int)(TimeSpan.FromMinutes(30) / TimeSpan.FromSeconds(275)))).Within(SessionCount / 10));
            Assert.That(counters.TotalRequests, Is.LessThanOrEqualTo(emulatorLimitOverRun + Limit));
        });
    }

    [TestCase(0, TestName = "KeepAlive_BudgetAboveTheServiceLimitNoInSendRetries_ThrottledButEverySessionRecovers")]
    [TestCase(3, TestName = "KeepAlive_BudgetAboveTheServiceLimitDefaultRetries_ThrottledButEverySessionRecovers")]
    public async Task KeepAlive_BudgetAboveTheServiceLimit_ThrottledButEverySessionRecovers(int maxRetryAttempts)
    {
        // The library believes it may send four times what the emulator accepts. Whatever MaxRetryAttempts, each 429
        // goes back to the session's scheduler, which waits at least its Retry-After: Polly never retries a 429 inside
        // a send (it retries only 408, 5xx and network failures, and each retry passes the rate budget).
        await using var harness = await StartAsync(libraryLimit: Limit * 4, maxRetryAttempts: maxRetryAttempts);

        // 50 sessions against 10 requests per 30 s: the first states alone take 2.5 minutes to get through, and every
        // 429 holds the library's refreshes and retries for its Retry-After, so a retry may be minutes late by design.
        harness.StallTolerance = TimeSpan.FromMinutes(5);
        var users = Enumerable.Range(0, SessionCount).Select(Users.Numbered).ToArray();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<PresenceSessionStatus>();
        harness.Manager.StatusChanged += (_, e) => statuses.Add(e.Status);
        var sets = users.Select(u => harness.Manager.GetOrCreate(u).SetAsync(PresenceState.Available)).ToArray();

        await harness.AdvanceAsync(TimeSpan.FromMinutes(30), maxStep: TimeSpan.FromSeconds(5));

        var counters = harness.Emulator.Counters;
        var firstSetsFailed = sets.Count(t => t.IsFaulted);
        var faded = users.Count(u => harness.Emulator.GetHistory(u).Any(c => c.Activity != "Available"));
        TestContext.Out.WriteLine(
            $"MaxRetryAttempts {maxRetryAttempts}: {counters.TotalRequests} requests, {counters.ThrottledRequests} throttled (429); " +
            $"{firstSetsFailed} of {SessionCount} first SetAsync calls failed with 429; {faded} users' presence faded at some point; " +
            $"statuses seen: {string.Join(", ", statuses.Distinct())}.");
        Assert.Multiple(() =>
        {
            Assert.That(counters.ThrottledRequests, Is.Positive, "the emulator throttled the over-budget library");
            Assert.That(harness.Manager.Sessions.Select(s => s.Status), Is.All.EqualTo(PresenceSessionStatus.Active), "every session recovered");
            Assert.That(users.Select(u => IntegrationHarness.Describe(harness.Emulator.GetPresence(u))), Is.All.EqualTo("Available/Available"));
            Assert.That(faded, Is.Zero, "no user's presence faded");
        });
    }

    private static Task<IntegrationHarness> StartAsync(int libraryLimit, int? maxRetryAttempts = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["RateLimitPerWindow"] = libraryLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RateLimitWindow"] = Window.ToString("c"),
        };
        if (maxRetryAttempts is { } attempts)
        {
            settings["MaxRetryAttempts"] = attempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return IntegrationHarness.StartAsync(
            o =>
            {
                o.ThrottleLimit = Limit;
                o.ThrottleWindow = Window;
            },
            settings);
    }
}
