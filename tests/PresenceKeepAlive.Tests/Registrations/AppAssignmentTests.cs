using PresenceKeepAlive.Registrations.Internal;

namespace PresenceKeepAlive.Tests.Registrations;

public class AppAssignmentTests
{
    private static readonly string[] ThreeApps =
    [
        "a1111111-0000-4000-8000-000000000001",
        "a2222222-0000-4000-8000-000000000002",
        "a3333333-0000-4000-8000-000000000003",
    ];

    private const string FourthApp = "a4444444-0000-4000-8000-000000000004";

    private static string User(int i) => $"0a1b2c3d-0000-4000-9000-{i:x12}";

    [Test]
    public void Assign_ThirtyThousandUsersOverThreeApps_GivesEachAboutAThird()
    {
        var counts = new int[3];
        for (var i = 0; i < 30_000; i++)
        {
            counts[AppAssignment.Assign(User(i), ThreeApps)]++;
        }

        Assert.That(counts, Has.All.InRange(9_500, 10_500), string.Join(", ", counts));
    }

    [Test]
    public void Assign_SameIdsInAnyCaseOrOrder_GivesTheSameApp()
    {
        var reversed = Enumerable.Reverse(ThreeApps).ToArray();
        var upper = ThreeApps.Select(a => a.ToUpperInvariant()).ToArray();
        for (var i = 0; i < 1_000; i++)
        {
            var app = ThreeApps[AppAssignment.Assign(User(i), ThreeApps)];
            Assert.That(reversed[AppAssignment.Assign(User(i), reversed)], Is.EqualTo(app));
            Assert.That(upper[AppAssignment.Assign(User(i).ToUpperInvariant(), upper)], Is.EqualTo(app.ToUpperInvariant()));
        }
    }

    [Test]
    public void Score_IsFixedAcrossProcesses()
    {
        // A restart must assign as before: the weight is a fixed function of the ids, not a per-process randomized hash.
        Assert.That(AppAssignment.Score("adele@contoso.com", "a1111111-0000-4000-8000-000000000001"), Is.EqualTo(Reference("adele@contoso.com", "a1111111-0000-4000-8000-000000000001")));
    }

    [Test]
    public void Assign_FourthAppAdded_MovesAboutAQuarterAndOnlyToTheNewApp()
    {
        string[] four = [.. ThreeApps, FourthApp];
        var moved = 0;
        for (var i = 0; i < 30_000; i++)
        {
            var before = ThreeApps[AppAssignment.Assign(User(i), ThreeApps)];
            var after = four[AppAssignment.Assign(User(i), four)];
            if (before != after)
            {
                moved++;
                Assert.That(after, Is.EqualTo(FourthApp), "a user moves only to the app that joined");
            }
        }

        Assert.That(moved, Is.InRange(7_000, 8_000), "about 30,000 / 4");
    }

    [Test]
    public void Assign_AppRemoved_MovesOnlyItsOwnUsers()
    {
        string[] two = [ThreeApps[0], ThreeApps[2]];
        for (var i = 0; i < 10_000; i++)
        {
            var before = ThreeApps[AppAssignment.Assign(User(i), ThreeApps)];
            var after = two[AppAssignment.Assign(User(i), two)];
            if (before != ThreeApps[1])
            {
                Assert.That(after, Is.EqualTo(before));
            }
        }
    }

    // The documented rule, written out independently: FNV-1a over upper-cased UTF-16 units, a separator, splitmix64's finalizer.
    private static ulong Reference(string user, string app)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in user.ToUpperInvariant() + "\uFFFF" + app.ToUpperInvariant())
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ (hash >> 30)) * 0xBF58476D1CE4E5B9UL;
        hash = (hash ^ (hash >> 27)) * 0x94D049BB133111EBUL;
        return hash ^ (hash >> 31);
    }
}
