using System.Globalization;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using PresenceKeepAlive.Http.Internal;

namespace PresenceKeepAlive.Tests.Http;

/// <summary>The one Retry-After reader, strict to RFC 9110: delta-seconds or an HTTP-date in one of its three forms.</summary>
public class RetryAfterHeaderTests
{
    // A Sunday, so the day names in the dates below are right.
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [TestCase("120", 120)]
    [TestCase("0", 0)]
    [TestCase("7", 7)]
    [TestCase("007", 7)]
    [TestCase(" 30\t", 30)]
    public void Parse_DeltaSeconds_ReturnsThatManySeconds(string value, int seconds) =>
        Assert.That(RetryAfterHeader.Parse(value, CreateClock()), Is.EqualTo(TimeSpan.FromSeconds(seconds)));

    [TestCase("12.31", TestName = "Parse_Decimal_IsAbsentNotADate")]
    [TestCase("-5", TestName = "Parse_Negative_IsAbsent")]
    [TestCase("+5", TestName = "Parse_Signed_IsAbsent")]
    [TestCase("1e3", TestName = "Parse_Exponent_IsAbsent")]
    [TestCase("5 s", TestName = "Parse_WithUnit_IsAbsent")]
    [TestCase("1,000", TestName = "Parse_GroupSeparator_IsAbsent")]
    [TestCase("soon", TestName = "Parse_Garbage_IsAbsent")]
    [TestCase("", TestName = "Parse_Empty_IsAbsent")]
    [TestCase("  ", TestName = "Parse_Whitespace_IsAbsent")]
    [TestCase("\u0661\u0662", TestName = "Parse_NonAsciiDigits_IsAbsent")]
    [TestCase("2026-03-01T12:01:00Z", TestName = "Parse_IsoDate_IsAbsent")]
    [TestCase("03/01/2026 12:01:00", TestName = "Parse_LocalDateFormat_IsAbsent")]
    [TestCase("Mon, 01 Mar 2026 12:01:00 GMT", TestName = "Parse_WrongDayName_IsAbsent")]
    [TestCase("Sun, 01 Mar 2026 12:01:00 +0000", TestName = "Parse_NumericZoneInsteadOfGmt_IsAbsent")]
    public void Parse_NotDeltaSecondsNorHttpDate_IsAbsent(string value) =>
        Assert.That(RetryAfterHeader.Parse(value, CreateClock()), Is.Null);

    [Test]
    public void Parse_Null_IsAbsent() =>
        Assert.That(RetryAfterHeader.Parse(null, CreateClock()), Is.Null);

    [Test]
    public void Parse_DeltaSecondsBeyondInt32_SaturatesInsteadOfOverflowing() =>
        Assert.That(RetryAfterHeader.Parse("99999999999999999999", CreateClock()), Is.EqualTo(RetryAfterHeader.MaxDelta));

    [TestCase("Sun, 01 Mar 2026 12:01:30 GMT", TestName = "Parse_ImfFixdate_IsTheTimeUntilThatDate")]
    [TestCase("Sunday, 01-Mar-26 12:01:30 GMT", TestName = "Parse_Rfc850Date_IsTheTimeUntilThatDate")]
    [TestCase("Sun Mar  1 12:01:30 2026", TestName = "Parse_AsctimeDate_IsTheTimeUntilThatDate")]
    public void Parse_HttpDate_IsTheTimeUntilThatDateOnTheClock(string value) =>
        Assert.That(RetryAfterHeader.Parse(value, CreateClock()), Is.EqualTo(TimeSpan.FromSeconds(90)));

    [Test]
    public void Parse_AsctimeTwoDigitDay_IsTheTimeUntilThatDate() =>
        Assert.That(RetryAfterHeader.Parse("Thu Mar 12 12:00:00 2026", CreateClock()), Is.EqualTo(TimeSpan.FromDays(11)));

    [Test]
    public void Parse_ImfFixdateFromTheRuntimeFormatter_IsTheTimeUntilThatDate()
    {
        var clock = CreateClock();
        var date = clock.GetUtcNow().AddSeconds(45).ToString("r", CultureInfo.InvariantCulture);

        Assert.That(RetryAfterHeader.Parse(date, clock), Is.EqualTo(TimeSpan.FromSeconds(45)));
    }

    [TestCase("Sun, 01 Mar 2026 11:59:00 GMT")]
    [TestCase("Sunday, 06-Nov-94 08:49:37 GMT")]
    public void Parse_DateInThePast_IsZero(string value) =>
        Assert.That(RetryAfterHeader.Parse(value, CreateClock()), Is.EqualTo(TimeSpan.Zero));

    [Test]
    public void Parse_Rfc850YearMoreThanFiftyYearsAhead_IsReadAsThePastCentury()
    {
        // RFC 9110: a two-digit year more than 50 years in the future is the most recent past year with those digits.
        var clock = CreateClock();

        Assert.That(RetryAfterHeader.Parse("Saturday, 01-Mar-80 12:00:00 GMT", clock), Is.EqualTo(TimeSpan.Zero), "1980, not 2080");
    }

    [Test]
    public void Of_ResponseWithDecimalRetryAfter_IsAbsent()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation(RetryAfterHeader.Name, "12.31");

        Assert.That(RetryAfterHeader.Of(response, CreateClock()), Is.Null);
    }

    [Test]
    public void Of_ResponseWithDeltaSeconds_ReturnsThem()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(120));

        Assert.That(RetryAfterHeader.Of(response, CreateClock()), Is.EqualTo(TimeSpan.FromSeconds(120)));
    }

    [Test]
    public void Of_ResponseWithoutRetryAfter_IsAbsent()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);

        Assert.That(RetryAfterHeader.Of(response, CreateClock()), Is.Null);
    }

    private static FakeTimeProvider CreateClock() => new(Now);
}
