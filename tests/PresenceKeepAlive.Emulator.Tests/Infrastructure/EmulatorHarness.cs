using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace PresenceKeepAlive.Emulator.Tests.Infrastructure;

/// <summary>An in-process emulator on a fake clock, with a plain HttpClient pointed at its v1.0 URL.</summary>
internal sealed class EmulatorHarness : IAsyncDisposable
{
    public const string Token = "test-token";
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    private EmulatorHarness(FakeTimeProvider time, PresenceEmulator emulator)
    {
        Time = time;
        Emulator = emulator;
        Client = CreateClient(emulator.GraphV1Url, Token);
    }

    public FakeTimeProvider Time { get; }

    public PresenceEmulator Emulator { get; }

    public HttpClient Client { get; }

    public static async Task<EmulatorHarness> StartAsync(Action<PresenceEmulatorOptions>? configure = null)
    {
        var time = new FakeTimeProvider(Start);
        var options = new PresenceEmulatorOptions { TimeProvider = time };
        configure?.Invoke(options);
        var emulator = await PresenceEmulator.StartAsync(options);
        return new EmulatorHarness(time, emulator);
    }

    public static HttpClient CreateClient(Uri baseAddress, string? token)
    {
        var client = new HttpClient { BaseAddress = baseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static string NewId() => Guid.NewGuid().ToString();

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Reads a Graph error body and checks its shape: error.code, error.message, innerError.date/request-id/client-request-id.</summary>
    public static async Task<GraphErrorBody> ReadErrorAsync(HttpResponseMessage response)
    {
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var root = await ReadJsonAsync(response);
        var error = root.GetProperty("error");
        var inner = error.GetProperty("innerError");
        return new GraphErrorBody(
            error.GetProperty("code").GetString()!,
            error.GetProperty("message").GetString()!,
            inner.GetProperty("date").GetString()!,
            inner.GetProperty("request-id").GetString()!,
            inner.GetProperty("client-request-id").GetString()!);
    }

    public Task<HttpResponseMessage> PostAsync(string path, string json) => Client.PostAsync(path, Json(json));

    public Task<HttpResponseMessage> SetPresenceAsync(string userId, string sessionId, string availability, string activity, string? expirationDuration = null)
    {
        var expiration = expirationDuration is null ? string.Empty : $",\"expirationDuration\":\"{expirationDuration}\"";
        return PostAsync(
            $"users/{userId}/presence/setPresence",
            $"{{\"sessionId\":\"{sessionId}\",\"availability\":\"{availability}\",\"activity\":\"{activity}\"{expiration}}}");
    }

    public async Task SetPresenceOkAsync(string userId, string sessionId, string availability, string activity, string? expirationDuration = null)
    {
        using var response = await SetPresenceAsync(userId, sessionId, availability, activity, expirationDuration);
        Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
    }

    public Task<HttpResponseMessage> PatchAsync(string userId, string availability, string activity, HttpClient? client = null) =>
        (client ?? Client).PatchAsync($"users/{userId}/presence", Json($"{{\"availability\":\"{availability}\",\"activity\":\"{activity}\"}}"));

    /// <summary>Reads a user's presence over HTTP, as "Availability/Activity".</summary>
    public async Task<string> GetPresenceAsync(string userId)
    {
        using var response = await Client.GetAsync($"users/{userId}/presence");
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        var root = await ReadJsonAsync(response);
        return root.GetProperty("availability").GetString() + "/" + root.GetProperty("activity").GetString();
    }

    /// <summary>Reads a user's presence through the public API, as "Availability/Activity".</summary>
    public string Presence(string userId)
    {
        var presence = Emulator.GetPresence(userId);
        return presence.Availability + "/" + presence.Activity;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Emulator.DisposeAsync();
    }
}
