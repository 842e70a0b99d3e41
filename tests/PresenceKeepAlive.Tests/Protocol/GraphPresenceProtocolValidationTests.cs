using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.Protocol.Internal;
using PresenceKeepAlive.Tests.Http;
using RichardSzalay.MockHttp;

namespace PresenceKeepAlive.Tests.Protocol;

/// <summary>Input that must be rejected before anything is sent.</summary>
public class GraphPresenceProtocolValidationTests
{
    private const string UpnRule = "user principal name";

    private static IEnumerable<TestCaseData> InvalidUserIds()
    {
        yield return new TestCaseData(string.Empty, UpnRule).SetArgDisplayNames("empty");
        yield return new TestCaseData("   ", UpnRule).SetArgDisplayNames("whitespace");
        yield return new TestCaseData("a/b@c.com", UpnRule).SetArgDisplayNames("slash");
        yield return new TestCaseData("../x@y.com", UpnRule).SetArgDisplayNames("dot-dot-slash");
        yield return new TestCaseData("..\\x@y.com", UpnRule).SetArgDisplayNames("dot-dot-backslash");
        yield return new TestCaseData("x?y@z.com", UpnRule).SetArgDisplayNames("question mark");
        yield return new TestCaseData("a#EXT#@c.com", UpnRule).SetArgDisplayNames("guest #EXT#");
        yield return new TestCaseData("a%2F@b.com", UpnRule).SetArgDisplayNames("percent-encoded slash");
        yield return new TestCaseData("a b@c.com", UpnRule).SetArgDisplayNames("space");
        yield return new TestCaseData("a\u0001b@c.com", UpnRule).SetArgDisplayNames("control char");
        yield return new TestCaseData("a\nb@c.com", UpnRule).SetArgDisplayNames("newline");
        yield return new TestCaseData("noat", UpnRule).SetArgDisplayNames("no at");
        yield return new TestCaseData("@x.com", UpnRule).SetArgDisplayNames("nothing before at");
        yield return new TestCaseData("x@", UpnRule).SetArgDisplayNames("nothing after at");
        yield return new TestCaseData("a@b@c.com", UpnRule).SetArgDisplayNames("two ats");
        yield return new TestCaseData("a..b@c.com", UpnRule).SetArgDisplayNames("double dot");
        yield return new TestCaseData(".a@c.com", UpnRule).SetArgDisplayNames("leading dot");
        yield return new TestCaseData(new string('a', 290) + "@contoso.com", "at most 256").SetArgDisplayNames("300 chars");
        yield return new TestCaseData(" " + GraphTestHost.UserId, UpnRule).SetArgDisplayNames("GUID with leading space");
        yield return new TestCaseData(GraphTestHost.UserId + "\n", UpnRule).SetArgDisplayNames("GUID with trailing newline");
        yield return new TestCaseData("{" + GraphTestHost.UserId + "}", UpnRule).SetArgDisplayNames("GUID in braces");
    }

    [TestCaseSource(nameof(InvalidUserIds))]
    public async Task SetPresenceAsync_InvalidUserId_ThrowsArgumentExceptionSayingWhatIsAllowedAndSendsNothing(string userId, string allowed)
    {
        using var host = CreateSut();
        var any = host.RespondAlways(HttpStatusCode.OK);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => host.Protocol.SetPresenceAsync(userId, PresenceState.Available, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.ParamName, Is.EqualTo("userId"));
            Assert.That(ex.Message, Does.Contain(allowed));
            Assert.That(host.Mock.GetMatchCount(any), Is.Zero);
        }
    }

    [TestCaseSource(nameof(InvalidUserIds))]
    public async Task ClearPresenceAsync_InvalidUserId_ThrowsArgumentExceptionAndSendsNothing(string userId, string allowed)
    {
        using var host = CreateSut(o => o.Protocol = PresenceProtocol.Patch);
        var any = host.RespondAlways(HttpStatusCode.OK);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => host.Protocol.ClearPresenceAsync(userId, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.Message, Does.Contain(allowed));
            Assert.That(host.Mock.GetMatchCount(any), Is.Zero);
        }
    }

    // Look-alikes of '/' and '.', an invisible space and a text-direction override: no Entra UPN holds them.
    [TestCase("adele\uFF0Fx@contoso.com", "U+FF0F", 6, TestName = "SetPresenceAsync_FullwidthSolidus_IsRefusedByCodePointAndPosition")]
    [TestCase("adele\u2215x@contoso.com", "U+2215", 6, TestName = "SetPresenceAsync_DivisionSlash_IsRefusedByCodePointAndPosition")]
    [TestCase("adele\u2044x@contoso.com", "U+2044", 6, TestName = "SetPresenceAsync_FractionSlash_IsRefusedByCodePointAndPosition")]
    [TestCase("adele@contoso\uFF0Ecom", "U+FF0E", 14, TestName = "SetPresenceAsync_FullwidthFullStop_IsRefusedByCodePointAndPosition")]
    [TestCase("adele@contoso\u2024com", "U+2024", 14, TestName = "SetPresenceAsync_OneDotLeader_IsRefusedByCodePointAndPosition")]
    [TestCase("ad\u200Bele@contoso.com", "U+200B", 3, TestName = "SetPresenceAsync_ZeroWidthSpace_IsRefusedByCodePointAndPosition")]
    [TestCase("\u202Eadele@contoso.com", "U+202E", 1, TestName = "SetPresenceAsync_RightToLeftOverride_IsRefusedByCodePointAndPosition")]
    [TestCase("ad\u00E9le@contoso.com", "U+00E9", 3, TestName = "SetPresenceAsync_AccentedLetter_IsRefusedByCodePointAndPosition")]
    [TestCase("adele\uD83D\uDE00@contoso.com", "U+1F600", 6, TestName = "SetPresenceAsync_SurrogatePair_IsRefusedByItsCodePoint")]
    [TestCase("adele@contoso.com\uFEFF", "U+FEFF", 18, TestName = "SetPresenceAsync_ByteOrderMark_IsRefusedByCodePointAndPosition")]
    public async Task SetPresenceAsync_NonAsciiCharacterInUserId_IsRefusedNamingItAndSendsNothing(string userId, string codePoint, int position)
    {
        using var host = CreateSut();
        var any = host.RespondAlways(HttpStatusCode.OK);

        var set = await Assert.ThrowsAsync<ArgumentException>(() => host.Protocol.SetPresenceAsync(userId, PresenceState.Available, CancellationToken.None));
        var clear = await Assert.ThrowsAsync<ArgumentException>(() => host.Protocol.ClearPresenceAsync(userId, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(set.ParamName, Is.EqualTo("userId"));
            Assert.That(set.Message, Does.Contain($"contains {codePoint} at position {position},"));
            Assert.That(set.Message, Does.Contain("object id (a GUID)").And.Contain("user principal name"));
            Assert.That(set.Message, Does.Contain("ASCII"));
            Assert.That(set.Message.All(c => c < 0x7F), Is.True, "the message echoes only printable ASCII, never the character itself");
            Assert.That(clear.Message, Is.EqualTo(set.Message));
            Assert.That(host.Mock.GetMatchCount(any), Is.Zero);
        }
    }

    [TestCase("a/b@c.com", "'/'", 2)]
    [TestCase("ab\\c@d.com", "'\\'", 3)]
    [TestCase("abc\t@d.com", "U+0009", 4)]
    public void DescribeInvalidUserId_ForbiddenAsciiCharacter_NamesItAndItsPosition(string userId, string described, int position) =>
        Assert.That(PresenceRequestValidator.DescribeInvalidUserId(userId), Does.Contain($"contains {described} at position {position}"));

    [TestCase("o'brien@contoso.com")]
    [TestCase("a.b-c_d!e^f~g@contoso.com")]
    [TestCase("ADELE@CONTOSO.COM")]
    [TestCase("adele+tag@contoso.com")]
    public void DescribeInvalidUserId_AsciiPunctuationTheValidatorAllowed_IsStillValid(string userId) =>
        Assert.That(PresenceRequestValidator.DescribeInvalidUserId(userId), Is.Null);

    [TestCase("../../me/presence@contoso.com")]
    [TestCase("adele@contoso.com/../../admin")]
    [TestCase("..%2F..%2Fme@contoso.com")]
    [TestCase("adele@contoso.com?$select=id")]
    public async Task SetPresenceAsync_PathInjection_NeverReachesTheHandler(string userId)
    {
        using var host = CreateSut();
        var any = host.RespondAlways(HttpStatusCode.OK);

        await Assert.ThrowsAsync<ArgumentException>(() => host.Protocol.SetPresenceAsync(userId, PresenceState.Available, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => host.Protocol.ClearPresenceAsync(userId, CancellationToken.None));

        Assert.That(host.Requests.Count, Is.Zero);
        Assert.That(host.Mock.GetMatchCount(any), Is.Zero);
    }

    [TestCase("adele@contoso.com")]
    [TestCase("adele.vance@contoso.onmicrosoft.com")]
    [TestCase("6E7F8A9B-0C1D-4E2F-8A3B-4C5D6E7F8A9B")]
    [TestCase(GraphTestHost.UserId)]
    public void DescribeInvalidUserId_ObjectIdOrUserPrincipalName_IsValid(string userId) =>
        Assert.That(PresenceRequestValidator.DescribeInvalidUserId(userId), Is.Null);

    [Test]
    public async Task SetPresenceAsync_OfflineWithSetPresenceProtocol_ThrowsListingTheProtocolsPairsAndSendsNothing()
    {
        using var host = CreateSut();
        var any = host.RespondAlways(HttpStatusCode.OK);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.Offline, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.ParamName, Is.EqualTo("state"));
            Assert.That(ex.Message, Does.Contain("Available/Available, Busy/InACall, Busy/InAConferenceCall, Away/Away, DoNotDisturb/Presenting"));
            Assert.That(ex.Message, Does.Contain("clear the session"));
            Assert.That(host.Mock.GetMatchCount(any), Is.Zero);
        }
    }

    [Test]
    public async Task SetPresenceAsync_DoNotDisturbWithPatchProtocol_ThrowsListingTheProtocolsPairsAndSendsNothing()
    {
        using var host = CreateSut(o => o.Protocol = PresenceProtocol.Patch);
        var any = host.RespondAlways(HttpStatusCode.OK);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            host.Protocol.SetPresenceAsync(GraphTestHost.UserId, PresenceState.DoNotDisturbPresenting, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.Message, Does.Contain("Available/Available, Busy/InACall, Busy/InAConferenceCall, Away/Away, Offline/Offline"));
            Assert.That(ex.Message, Does.Not.Contain("DoNotDisturb/Presenting,"));
            Assert.That(host.Mock.GetMatchCount(any), Is.Zero);
        }
    }

    [Test]
    public async Task SetPresenceAsync_NullState_ThrowsArgumentNullExceptionAndSendsNothing()
    {
        using var host = CreateSut();
        var any = host.RespondAlways(HttpStatusCode.OK);

        await Assert.ThrowsAsync<ArgumentNullException>(() => host.Protocol.SetPresenceAsync(GraphTestHost.UserId, null!, CancellationToken.None));
        Assert.That(host.Mock.GetMatchCount(any), Is.Zero);
    }

    [TestCase("")]
    [TestCase("not-a-guid")]
    [TestCase("00000000-0000-0000-0000-000000000000")]
    [TestCase("adele@contoso.com")]
    public void Ctor_InvalidClientId_ThrowsArgumentExceptionSayingItMustBeTheAppRegistrationGuid(string clientId)
    {
        using var mock = new MockHttpMessageHandler();
        var any = mock.When("*").Respond(HttpStatusCode.OK);

        var ex = Assert.Throws<ArgumentException>(() => CreateProtocol(mock, clientId, TimeSpan.FromMinutes(5)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.ParamName, Is.EqualTo("clientId"));
            Assert.That(ex.Message, Does.Contain("GUID").And.Contain("sessionId"));
            Assert.That(mock.GetMatchCount(any), Is.Zero);
        }
    }

    [TestCase(0)]
    [TestCase(-300)]
    [TestCase(299)]
    [TestCase(4 * 3600 + 1)]
    [TestCase(24 * 3600)]
    public void Ctor_LeaseOutsideGraphRange_ThrowsArgumentOutOfRangeExceptionNamingTheRange(int seconds)
    {
        using var mock = new MockHttpMessageHandler();
        var any = mock.When("*").Respond(HttpStatusCode.OK);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CreateProtocol(mock, GraphTestHost.ClientId, TimeSpan.FromSeconds(seconds)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.ParamName, Is.EqualTo("lease"));
            Assert.That(ex.Message, Does.Contain("PT5M").And.Contain("PT4H"));
            Assert.That(mock.GetMatchCount(any), Is.Zero);
        }
    }

    [TestCase(300)]
    [TestCase(4 * 3600)]
    public void Ctor_LeaseAtGraphLimits_IsAccepted(int seconds)
    {
        using var mock = new MockHttpMessageHandler();

        Assert.That(CreateProtocol(mock, GraphTestHost.ClientId, TimeSpan.FromSeconds(seconds)).Protocol, Is.EqualTo(PresenceProtocol.SetPresence));
    }

    [Test]
    public void Ctor_UndefinedProtocol_ThrowsArgumentOutOfRangeException()
    {
        using var mock = new MockHttpMessageHandler();

        Assert.Throws<ArgumentOutOfRangeException>(() => CreateProtocol(mock, GraphTestHost.ClientId, TimeSpan.FromMinutes(5), (PresenceProtocol)7));
    }

    private static GraphTestHost CreateSut(Action<PresenceKeepAliveOptions>? configure = null) => GraphTestHost.Create(configure);

    private static GraphPresenceProtocol CreateProtocol(
        MockHttpMessageHandler mock, string clientId, TimeSpan lease, PresenceProtocol protocol = PresenceProtocol.SetPresence)
    {
        var graph = PresenceHttpClient.CreateGraphClient(mock.ToHttpClient(), new FixedTokenCredential(GraphTestHost.Token), GraphTestHost.GraphBase);
        return new GraphPresenceProtocol(
            graph,
            protocol,
            clientId,
            lease,
            TimeProvider.System,
            NullLogger<GraphPresenceProtocol>.Instance);
    }
}
