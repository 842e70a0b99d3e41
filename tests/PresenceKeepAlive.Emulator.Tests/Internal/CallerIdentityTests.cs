using PresenceKeepAlive.Emulator.Internal;
using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests.Internal;

public class CallerIdentityTests
{
    [Test]
    public void AppKeyFor_JwtWithAppId_ReturnsTheClaim()
    {
        var sut = new CallerIdentity();

        Assert.That(sut.AppKeyFor(Jwt.WithClaims("{\"appid\":\"11111111-2222-3333-4444-555555555555\",\"azp\":\"other\"}")), Is.EqualTo("11111111-2222-3333-4444-555555555555"));
    }

    [Test]
    public void AppKeyFor_JwtWithOnlyAzp_ReturnsAzp()
    {
        var sut = new CallerIdentity();

        Assert.That(sut.AppKeyFor(Jwt.WithClaims("{\"azp\":\"app-b\"}")), Is.EqualTo("app-b"));
    }

    [TestCase("opaque-token")]
    [TestCase("a.%%%.c")]
    [TestCase("a.W10.c")]
    public void AppKeyFor_NotAJwtWithAppClaim_ReturnsStableHashWithoutTheToken(string token)
    {
        var sut = new CallerIdentity();

        var key = sut.AppKeyFor(token);

        Assert.That(key, Does.StartWith("token-").And.Length.EqualTo(22));
        Assert.That(key, Does.Not.Contain(token));
        Assert.That(new CallerIdentity().AppKeyFor(token), Is.EqualTo(key));
        Assert.That(sut.AppKeyFor(token + "x"), Is.Not.EqualTo(key));
    }

    [TestCase(null)]
    [TestCase("")]
    public void AppKeyFor_NoToken_ReturnsAnonymous(string? token)
    {
        Assert.That(new CallerIdentity().AppKeyFor(token), Is.EqualTo(CallerIdentity.Anonymous));
    }

    [Test]
    public void CallerFor_JwtWithTid_ReturnsAppAndTenant()
    {
        var sut = new CallerIdentity();

        var caller = sut.CallerFor(Jwt.WithClaims("{\"appid\":\"app-a\",\"tid\":\"contoso.onmicrosoft.com\"}"));

        Assert.That(caller, Is.EqualTo(("app-a", "contoso.onmicrosoft.com")));
    }

    [Test]
    public void CallerFor_JwtWithoutTid_HasNoTenant()
    {
        var sut = new CallerIdentity();

        Assert.That(sut.CallerFor(Jwt.WithClaims("{\"appid\":\"app-a\",\"tid\":42}")), Is.EqualTo(("app-a", CallerIdentity.NoTenant)));
        Assert.That(sut.CallerFor("not-a-jwt").Tenant, Is.EqualTo(CallerIdentity.NoTenant));
    }
}
