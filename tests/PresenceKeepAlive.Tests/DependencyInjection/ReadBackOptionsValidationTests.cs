using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PresenceKeepAlive.DependencyInjection.Internal;

namespace PresenceKeepAlive.Tests.DependencyInjection;

public class ReadBackOptionsValidationTests
{
    private const string ClientId = "11111111-2222-3333-4444-555555555555";

    [Test]
    public void Defaults_ReadBackOffAndValid()
    {
        var options = new PresenceKeepAliveOptions { ClientId = ClientId, TenantId = ClientId, ClientSecret = "s" };

        var result = new PresenceKeepAliveOptionsValidator().Validate(null, options);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Succeeded, Is.True, result.FailureMessage);
            Assert.That(options.ReadBack.Enabled, Is.False);
            Assert.That(options.ReadBack.Interval, Is.EqualTo(TimeSpan.FromMinutes(1)));
            Assert.That(options.ReadBack.GracePeriod, Is.EqualTo(TimeSpan.FromMinutes(2)));
            Assert.That(options.ReadBack.BatchSize, Is.EqualTo(650));
        }
    }

    [TestCase("Interval", "00:00:05", "ReadBack:Interval 00:00:05 is out of range")]
    [TestCase("GracePeriod", "02:00:00", "ReadBack:GracePeriod 02:00:00 is out of range")]
    [TestCase("BatchSize", "651", "ReadBack:BatchSize 651 is out of range: getPresencesByUserId takes from 1 to 650")]
    [TestCase("BatchSize", "0", "ReadBack:BatchSize 0 is out of range")]
    [TestCase("BudgetShare", "0.5", "ReadBack:BudgetShare 0.5 is out of range")]
    public async Task Start_ReadBackSettingOutOfRange_FailsNamingTheSettingValueAndRule(string setting, string value, string expected)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PresenceKeepAlive:ClientId"] = ClientId,
            ["PresenceKeepAlive:BaseUrl"] = "http://127.0.0.1:5080/v1.0",
            ["PresenceKeepAlive:ReadBack:Enabled"] = "true",
            ["PresenceKeepAlive:ReadBack:" + setting] = value,
        });
        builder.Services.AddPresenceSession(builder.Configuration.GetSection(PresenceKeepAliveOptions.SectionName));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(ex!.Message, Does.Contain(expected));
    }

    [Test]
    public void Bind_ReadBackSection_ReadsEverySetting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PresenceKeepAlive:ClientId"] = ClientId,
            ["PresenceKeepAlive:BaseUrl"] = "http://127.0.0.1:5080/v1.0",
            ["PresenceKeepAlive:ReadBack:Enabled"] = "true",
            ["PresenceKeepAlive:ReadBack:Interval"] = "00:02:00",
            ["PresenceKeepAlive:ReadBack:GracePeriod"] = "00:00:30",
            ["PresenceKeepAlive:ReadBack:BatchSize"] = "100",
            ["PresenceKeepAlive:ReadBack:BudgetShare"] = "0.1",
        }).Build();
        var services = new ServiceCollection();
        services.AddPresenceSession(configuration.GetSection(PresenceKeepAliveOptions.SectionName));
        using var provider = services.BuildServiceProvider();

        var readBack = provider.GetRequiredService<IOptions<PresenceKeepAliveOptions>>().Value.ReadBack;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(readBack.Enabled, Is.True);
            Assert.That(readBack.Interval, Is.EqualTo(TimeSpan.FromMinutes(2)));
            Assert.That(readBack.GracePeriod, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(readBack.BatchSize, Is.EqualTo(100));
            Assert.That(readBack.BudgetShare, Is.EqualTo(0.1));
        }
    }
}
