using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>Writes Graph-shaped JSON responses straight to the response pipe.</summary>
internal static class GraphResponses
{
    public const string JsonContentType = "application/json";

    public static string CodeFor(int status) => status switch
    {
        400 => "BadRequest",
        401 => "InvalidAuthenticationToken",
        403 => "Forbidden",
        404 => "NotFound",
        408 => "RequestTimeout",
        409 => "Conflict",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "UnknownError",
    };

    public static async Task WriteErrorAsync(HttpContext context, int status, string code, string message, DateTimeOffset date)
    {
        var info = context.Features.Get<GraphRequestInfo>();
        var requestId = info?.RequestId ?? Guid.NewGuid().ToString();
        var clientRequestId = info?.ClientRequestId ?? requestId;

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = JsonContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, EmulatorJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("code", code);
            writer.WriteString("message", message);
            writer.WriteStartObject("innerError");
            writer.WriteString("date", date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
            writer.WriteString("request-id", requestId);
            writer.WriteString("client-request-id", clientRequestId);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    public static void WritePresence(Utf8JsonWriter writer, string userId, PresencePair pair)
    {
        writer.WriteStartObject();
        writer.WriteString("id", userId);
        writer.WriteString("availability", pair.Availability);
        writer.WriteString("activity", pair.Activity);
        writer.WriteEndObject();
    }
}
