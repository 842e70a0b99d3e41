using PresenceKeepAlive.Protocol.Internal;
using System.Net;
using PresenceKeepAlive.Http.Internal;

namespace PresenceKeepAlive.Tests.Http;

public class PresenceHttpClientTests
{
    [TestCase("https://graph.microsoft.com/v1.0")]
    [TestCase("https://graph.microsoft.com/v1.0/")]
    [TestCase("http://127.0.0.1:5080/v1.0")]
    [TestCase("http://localhost:5080/v1.0")]
    [TestCase("http://[::1]:5080/v1.0")]
    [TestCase("https://127.0.0.2:5443/v1.0")]
    public void DescribeInvalidBaseUrl_HttpsOrLoopbackHttp_IsValid(string baseUrl) =>
        Assert.That(PresenceHttpClient.DescribeInvalidBaseUrl(baseUrl), Is.Null);

    [TestCase("http://graph.microsoft.com/v1.0", "https")]
    [TestCase("http://10.0.0.5:5080/v1.0", "https")]
    [TestCase("http://127.0.0.2:5080/v1.0", "https")]
    [TestCase("http://emulator.internal/v1.0", "https")]
    [TestCase("graph.microsoft.com/v1.0", "absolute")]
    [TestCase("/v1.0", "absolute")]
    [TestCase("ftp://graph.microsoft.com/v1.0", "absolute")]
    [TestCase("", "absolute")]
    [TestCase(null, "absolute")]
    [TestCase("https://graph.microsoft.com/v1.0?x=1", "query")]
    [TestCase("https://graph.microsoft.com/v1.0#top", "fragment")]
    public void DescribeInvalidBaseUrl_Unusable_SaysWhy(string? baseUrl, string reason) =>
        Assert.That(PresenceHttpClient.DescribeInvalidBaseUrl(baseUrl), Does.Contain(reason));

    [Test]
    public void CreateGraphClient_NonLoopbackHttp_ThrowsBeforeSending()
    {
        using var httpClient = new HttpClient();

        Assert.That(
            () => PresenceHttpClient.CreateGraphClient(httpClient, new FixedTokenCredential(GraphTestHost.Token), "http://graph.microsoft.com/v1.0"),
            Throws.ArgumentException.With.Message.Contain("https"));
    }

    [Test]
    public async Task SetPresenceAsync_HttpClient_HasNoHttpClientTimeoutSoPollyOwnsTimeouts()
    {
        // HttpClient.Timeout runs on real time; the pipeline's timeouts run on the injected TimeProvider.
        using var host = GraphTestHost.Create();
        host.RespondAlways(HttpStatusCode.OK);
        var factory = (IHttpClientFactory)host.Provider.GetService(typeof(IHttpClientFactory))!;

        using var client = factory.CreateClient(PresenceHttpClient.Name);
        await host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Available, CancellationToken.None);

        Assert.That(client.Timeout, Is.EqualTo(Timeout.InfiniteTimeSpan));
    }
}
