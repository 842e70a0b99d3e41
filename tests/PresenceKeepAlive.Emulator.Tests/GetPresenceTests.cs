using System.Text.Json;
using PresenceKeepAlive.Emulator.Tests.Infrastructure;

namespace PresenceKeepAlive.Emulator.Tests;

public class GetPresenceTests
{
    [Test]
    public async Task GetPresence_UserWithoutSession_ReturnsOfflineWithIdAndODataContext()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var user = EmulatorHarness.NewId();

        using var response = await sut.Client.GetAsync($"users/{user}/presence");
        var root = await EmulatorHarness.ReadJsonAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(root.GetProperty("@odata.context").GetString(), Is.EqualTo($"{sut.Emulator.GraphV1Url}$metadata#users('{user}')/presence/$entity"));
        Assert.That(root.GetProperty("id").GetString(), Is.EqualTo(user));
        Assert.That(root.GetProperty("availability").GetString(), Is.EqualTo("Offline"));
        Assert.That(root.GetProperty("activity").GetString(), Is.EqualTo("Offline"));
    }

    [Test]
    public async Task GetPresencesByUserId_KnownAndUnknownUsers_ReturnsOnePresencePerIdInOrder()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var busy = EmulatorHarness.NewId();
        var away = EmulatorHarness.NewId();
        var unknown = EmulatorHarness.NewId();
        await sut.SetPresenceOkAsync(busy, EmulatorHarness.NewId(), "Busy", "InACall");
        await sut.SetPresenceOkAsync(away, EmulatorHarness.NewId(), "Away", "Away");

        using var response = await sut.PostAsync("communications/getPresencesByUserId", JsonSerializer.Serialize(new { ids = new[] { busy, unknown, away } }));
        var root = await EmulatorHarness.ReadJsonAsync(response);
        var values = root.GetProperty("value").EnumerateArray()
            .Select(v => $"{v.GetProperty("id").GetString()}={v.GetProperty("availability").GetString()}/{v.GetProperty("activity").GetString()}")
            .ToArray();

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(values, Is.EqualTo(new[] { $"{busy}=Busy/InACall", $"{unknown}=Offline/Offline", $"{away}=Away/Away" }));
    }

    [Test]
    public async Task GetPresencesByUserId_650Ids_Returns650Presences()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var ids = Enumerable.Range(0, 650).Select(_ => EmulatorHarness.NewId()).ToArray();

        using var response = await sut.PostAsync("communications/getPresencesByUserId", JsonSerializer.Serialize(new { ids }));
        var root = await EmulatorHarness.ReadJsonAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(root.GetProperty("value").GetArrayLength(), Is.EqualTo(650));
    }

    [Test]
    public async Task GetPresencesByUserId_651Ids_Returns400InvalidArgument()
    {
        await using var sut = await EmulatorHarness.StartAsync();
        var ids = Enumerable.Range(0, 651).Select(_ => EmulatorHarness.NewId()).ToArray();

        using var response = await sut.PostAsync("communications/getPresencesByUserId", JsonSerializer.Serialize(new { ids }));
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("InvalidArgument"));
        Assert.That(error.Message, Does.Contain("650"));
    }

    [TestCase("{\"ids\":[]}")]
    [TestCase("{}")]
    [TestCase("{\"ids\":[\"not a user\"]}")]
    [TestCase("{\"ids\":[\"adele@contoso.com\"]}")]
    [TestCase("{\"ids\":[\"6e7f8a9b-0c1d-4e2f-8a3b-4c5d6e7f8a9b\",\"adele@contoso.com\"]}")]
    public async Task GetPresencesByUserId_MissingOrInvalidIds_Returns400InvalidArgument(string body)
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.PostAsync("communications/getPresencesByUserId", body);
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("InvalidArgument"));
    }

    [Test]
    public async Task GetPresencesByUserId_MalformedJson_Returns400BadRequest()
    {
        await using var sut = await EmulatorHarness.StartAsync();

        using var response = await sut.PostAsync("communications/getPresencesByUserId", "{\"ids\":[");
        var error = await EmulatorHarness.ReadErrorAsync(response);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error.Code, Is.EqualTo("BadRequest"));
    }
}
