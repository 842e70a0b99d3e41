using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class ConcurrencyTests
{
    [Test]
    public async Task SetPresence_10000SessionsFromConcurrentClients_AllStoredCountedAndReadable()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.ThrottlingEnabled = false);
        var users = Enumerable.Range(0, 10_000).Select(_ => EmulatorHarness.NewId()).ToArray();
        var failures = new ConcurrentBag<int>();
        var stopwatch = Stopwatch.StartNew();

        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (user, cancellationToken) =>
        {
            var pair = user[0] < '8' ? "\"Busy\",\"activity\":\"InACall\"" : "\"Available\",\"activity\":\"Available\"";
            using var response = await sut.Client.PostAsync(
                $"users/{user}/presence/setPresence",
                EmulatorHarness.Json($"{{\"sessionId\":\"{user}\",\"availability\":{pair},\"expirationDuration\":\"PT1H\"}}"),
                cancellationToken);
            if ((int)response.StatusCode != 200)
            {
                failures.Add((int)response.StatusCode);
            }
        });
        var elapsed = stopwatch.Elapsed;

        Assert.That(failures, Is.Empty);
        Assert.That(sut.Emulator.Counters.GetCount(EmulatorOperation.SetPresence), Is.EqualTo(10_000));
        Assert.That(sut.Emulator.GetHistory(), Has.Count.EqualTo(10_000));
        Assert.That(users.All(u => sut.Presence(u) == (u[0] < '8' ? "Busy/InACall" : "Available/Available")), Is.True);
        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), $"10,000 requests took {elapsed}");

        // After one timeout every Available session has faded; reading all 10,000 back in batches of 650 sees that.
        sut.Time.Advance(TimeSpan.FromMinutes(5));
        var inactive = 0;
        foreach (var batch in users.Chunk(650))
        {
            using var response = await sut.PostAsync("communications/getPresencesByUserId", JsonSerializer.Serialize(new { ids = batch }));
            var root = await EmulatorHarness.ReadJsonAsync(response);
            inactive += root.GetProperty("value").EnumerateArray().Count(p => p.GetProperty("activity").GetString() == "AvailableInactive");
        }

        Assert.That(inactive, Is.EqualTo(users.Count(u => u[0] >= '8')));
    }

    [Test]
    public async Task SetPresence_ConcurrentWritesToOneUser_KeepSessionsAndHistoryConsistent()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.ThrottlingEnabled = false);
        var user = EmulatorHarness.NewId();
        var sessions = Enumerable.Range(0, 40).Select(_ => EmulatorHarness.NewId()).ToArray();
        string[] pairs = ["Available/Available", "Busy/InACall", "Away/Away", "DoNotDisturb/Presenting"];
        var work = sessions.SelectMany((session, i) => Enumerable.Range(0, 10).Select(j => (session, pair: pairs[(i + j) % pairs.Length]))).ToArray();

        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (item, _) =>
        {
            var parts = item.pair.Split('/');
            await sut.SetPresenceOkAsync(user, item.session, parts[0], parts[1], "PT1H");
        });

        var history = sut.Emulator.GetHistory(user);
        var stored = sut.Emulator.GetSessions(user);
        var expected = stored.Select(s => s.CurrentAvailability + "/" + s.CurrentActivity).OrderBy(p => Array.IndexOf(pairs, p) switch
        {
            3 => 0,
            1 => 1,
            0 => 2,
            _ => 3,
        }).First();
        Assert.That(stored, Has.Count.EqualTo(40));
        Assert.That(sut.Presence(user), Is.EqualTo(expected), "the aggregate follows precedence over whatever each session ended on");
        Assert.That(history[^1].Availability + "/" + history[^1].Activity, Is.EqualTo(expected));
        for (var i = 1; i < history.Count; i++)
        {
            Assert.That(history[i].PreviousAvailability + "/" + history[i].PreviousActivity, Is.EqualTo(history[i - 1].Availability + "/" + history[i - 1].Activity));
        }
    }

    [Test]
    public async Task Request_ConcurrentBurstOverLimit_ServesExactlyTheLimit()
    {
        await using var sut = await EmulatorHarness.StartAsync(o => o.ThrottleLimit = 100);
        var user = EmulatorHarness.NewId();
        var statuses = new ConcurrentBag<int>();

        await Parallel.ForEachAsync(Enumerable.Range(0, 300), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, cancellationToken) =>
        {
            using var response = await sut.Client.GetAsync($"users/{user}/presence", cancellationToken);
            statuses.Add((int)response.StatusCode);
        });

        Assert.That(statuses.Count(s => s == 200), Is.EqualTo(100));
        Assert.That(statuses.Count(s => s == 429), Is.EqualTo(200));
        Assert.That(sut.Emulator.Counters.ThrottledRequests, Is.EqualTo(200));
    }
}
