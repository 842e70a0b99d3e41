namespace PresenceKeepAlive.IntegrationTests;

public class SmokeTests
{
    [Test]
    public void Builds() => Assert.That(typeof(SmokeTests).Assembly, Is.Not.Null);
}
