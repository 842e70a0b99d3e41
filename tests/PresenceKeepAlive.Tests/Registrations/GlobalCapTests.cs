using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.KeepAlive.Internal;
using PresenceKeepAlive.Registrations.Internal;

namespace PresenceKeepAlive.Tests.Registrations;

/// <summary>The app's global cap across tenants: every (app, tenant) gate of one client id also passes one shared gate.</summary>
public class GlobalCapTests
{
    private const string App = "a1111111-0000-4000-8000-000000000001";

    private static (FakeTimeProvider Time, GlobalAppGates Caps) CreateSut()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        return (time, new GlobalAppGates(new KeepAliveClock(time)));
    }

    [Test]
    public void TryEnter_TenantsOfOneAppTogetherAtTheGlobalCap_RefusesEveryTenant()
    {
        var (_, caps) = CreateSut();
        var contoso = new RequestGate(3, TimeSpan.FromSeconds(30), caps.Clock, caps.For(App, 4, TimeSpan.FromSeconds(10)));
        var fabrikam = new RequestGate(3, TimeSpan.FromSeconds(30), caps.Clock, caps.For(App, 4, TimeSpan.FromSeconds(10)));

        var admitted = new[]
        {
            contoso.TryEnter(reserved: false), contoso.TryEnter(reserved: false), fabrikam.TryEnter(reserved: false),
            fabrikam.TryEnter(reserved: false), fabrikam.TryEnter(reserved: false), contoso.TryEnter(reserved: false),
        };

        Assert.That(admitted, Is.EqualTo(new[] { true, true, true, true, false, false }), "4 per 10 s for the app across both tenants");
        Assert.That(caps.Gates[App].Entered, Is.EqualTo(4));
    }

    [Test]
    public void TryReserveSpare_UnderAParent_TakesAndGivesBackTheParentsPlaceToo()
    {
        var (_, caps) = CreateSut();
        var parent = caps.For(App, 2, TimeSpan.FromSeconds(10));
        var contoso = new RequestGate(100, TimeSpan.FromSeconds(30), caps.Clock, parent);
        var fabrikam = new RequestGate(100, TimeSpan.FromSeconds(30), caps.Clock, parent);

        // A read-back place reserved and given back unsent leaves the app's cap as it was.
        Assert.That(contoso.TryReserveSpare(windowHeadroom: 0, secondHeadroom: 0), Is.True);
        contoso.Release();
        Assert.That(parent.Available, Is.EqualTo(2));

        // Spare places count against the cap like any other: two taken, the third (in another tenant) is refused.
        Assert.That(contoso.TryReserveSpare(0, 0) && contoso.TryEnter(reserved: true), Is.True);
        Assert.That(fabrikam.TryReserveSpare(0, 0) && fabrikam.TryEnter(reserved: true), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(fabrikam.TryReserveSpare(0, 0), Is.False, "the app's cap is full");
            Assert.That(parent.Entered, Is.EqualTo(2));
            Assert.That(parent.Available, Is.EqualTo(0));
        });
    }

    [Test]
    public void TryEnter_OtherApp_HasItsOwnCap()
    {
        var (_, caps) = CreateSut();
        var first = new RequestGate(10, TimeSpan.FromSeconds(30), caps.Clock, caps.For(App, 1, TimeSpan.FromSeconds(10)));
        var other = new RequestGate(10, TimeSpan.FromSeconds(30), caps.Clock, caps.For("a2222222-0000-4000-8000-000000000002", 1, TimeSpan.FromSeconds(10)));

        Assert.That(first.TryEnter(reserved: false), Is.True);
        Assert.That(first.TryEnter(reserved: false), Is.False);
        Assert.That(other.TryEnter(reserved: false), Is.True);
    }

    [Test]
    public void TryReserve_HoldsAPlaceInTheCapUntilReleasedOrUsed()
    {
        var (time, caps) = CreateSut();
        var cap = caps.For(App, 2, TimeSpan.FromSeconds(10));
        var contoso = new RequestGate(5, TimeSpan.FromSeconds(30), caps.Clock, cap);
        var fabrikam = new RequestGate(5, TimeSpan.FromSeconds(30), caps.Clock, cap);

        Assert.That(contoso.TryReserve(), Is.True);
        Assert.That(contoso.TryReserve(), Is.True);
        Assert.That(fabrikam.TryReserve(), Is.False, "both places of the cap are reserved by Contoso");
        Assert.That(fabrikam.NextFreeTicks(caps.Clock.NowTicks), Is.EqualTo(long.MaxValue), "frees only when a reservation is used or released");

        contoso.Release();
        Assert.That(fabrikam.TryReserve(), Is.True);
        Assert.That(contoso.TryEnter(reserved: true), Is.True, "a reserved place fits in the cap as well");
        Assert.That(fabrikam.TryEnter(reserved: true), Is.True);
        Assert.That(cap.Entered, Is.EqualTo(2));

        Assert.That(contoso.TryEnter(reserved: false), Is.False);
        time.Advance(TimeSpan.FromSeconds(10) + TimeSpan.FromTicks(1));
        Assert.That(contoso.TryEnter(reserved: false), Is.True, "the cap's window has passed");
    }

    [Test]
    public void For_SameClientIdInAnyCase_IsOneCap()
    {
        var (_, caps) = CreateSut();

        Assert.That(caps.For(App.ToUpperInvariant(), 10, TimeSpan.FromSeconds(10)), Is.SameAs(caps.For(App, 20, TimeSpan.FromSeconds(5))));
    }
}
