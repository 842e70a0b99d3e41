using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>
/// The status message (<c>setStatusMessage</c>, shown in <c>GET presence</c>) and the delegated <c>/me</c> paths, which
/// act on the user the bearer token names (its <c>upn</c>, <c>preferred_username</c> or <c>oid</c> claim). An app-only
/// token on a <c>/me</c> path is refused as Graph refuses it.
/// </summary>
internal sealed class PresenceExtrasEndpoints(EmulatorCore core)
{
    /// <summary>The longest status message Graph's clients show.</summary>
    public const int MaxStatusMessageLength = 280;

    private readonly ConcurrentDictionary<string, StatusMessageRecord> messages = new(StringComparer.OrdinalIgnoreCase);

    public void Map(RouteGroupBuilder group, GraphEndpoints graph)
    {
        group.MapPost("/users/{id}/presence/setStatusMessage", new RequestDelegate(c => SetStatusMessageAsync(c, graph)))
            .WithMetadata(new OperationMetadata(EmulatorOperation.SetStatusMessage));

        group.MapPost("/me/presence/setPresence", Me(graph.SetPresenceAsync)).WithMetadata(new OperationMetadata(EmulatorOperation.SetPresence));
        group.MapPost("/me/presence/clearPresence", Me(graph.ClearPresenceAsync)).WithMetadata(new OperationMetadata(EmulatorOperation.ClearPresence));
        group.MapPost("/me/presence/setUserPreferredPresence", Me(graph.SetPreferredAsync)).WithMetadata(new OperationMetadata(EmulatorOperation.SetUserPreferredPresence));
        group.MapPost("/me/presence/clearUserPreferredPresence", Me(graph.ClearPreferredAsync)).WithMetadata(new OperationMetadata(EmulatorOperation.ClearUserPreferredPresence));
        group.MapPost("/me/presence/setStatusMessage", Me(c => SetStatusMessageAsync(c, graph))).WithMetadata(new OperationMetadata(EmulatorOperation.SetStatusMessage));
        group.MapGet("/me/presence", Me(graph.GetPresenceAsync)).WithMetadata(new OperationMetadata(EmulatorOperation.GetPresence));
    }

    /// <summary>Writes the user's status message into a presence object, when one is set and has not expired.</summary>
    public void WriteStatusMessage(Utf8JsonWriter writer, string userId)
    {
        if (!messages.TryGetValue(userId, out var record))
        {
            return;
        }

        if (record.ExpiresAt is { } expiresAt && expiresAt <= core.Clock.Now)
        {
            messages.TryRemove(new KeyValuePair<string, StatusMessageRecord>(userId, record));
            return;
        }

        writer.WriteStartObject("statusMessage");
        writer.WriteStartObject("message");
        writer.WriteString("content", record.Content);
        writer.WriteString("contentType", "text");
        writer.WriteEndObject();
        if (record.ExpiresAt is { } expiry)
        {
            writer.WriteStartObject("expiryDateTime");
            writer.WriteString("dateTime", expiry.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture));
            writer.WriteString("timeZone", "UTC");
            writer.WriteEndObject();
        }

        writer.WriteString("publishedDateTime", record.PublishedAt);
        writer.WriteEndObject();
    }

    /// <summary>Returns the signed-in user a delegated token names, or <see langword="null"/> for an app-only or unreadable token.</summary>
    internal static string? DelegatedUserOf(string? authorization)
    {
        const string Prefix = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var parts = authorization[Prefix.Length..].Trim().Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var text = parts[1].Replace('-', '+').Replace('_', '/');
            text += (text.Length % 4) switch { 2 => "==", 3 => "=", _ => string.Empty };
            using var document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(text)));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var name in (ReadOnlySpan<string>)["upn", "preferred_username", "oid"])
            {
                if (document.RootElement.TryGetProperty(name, out var claim) && claim.ValueKind == JsonValueKind.String
                    && claim.GetString() is { Length: > 0 } value && GraphEndpoints.IsValidUserId(value))
                {
                    return value;
                }
            }
        }
        catch (FormatException)
        {
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private RequestDelegate Me(RequestDelegate handler) => async context =>
    {
        var user = DelegatedUserOf(context.Request.Headers.Authorization.ToString());
        if (user is null)
        {
            await GraphResponses.WriteErrorAsync(
                context,
                StatusCodes.Status400BadRequest,
                "BadRequest",
                "/me request is only valid with delegated authentication flow.",
                core.Clock.Now);
            return;
        }

        context.Request.RouteValues["id"] = user;
        await handler(context);
    };

    private async Task SetStatusMessageAsync(HttpContext context, GraphEndpoints graph)
    {
        if (await graph.ReadUserIdAsync(context) is not { } userId
            || await graph.ReadBodyAsync<StatusMessageRequestBody>(context) is not { } body)
        {
            return;
        }

        var message = body.StatusMessage?.Message;
        if (body.StatusMessage is null || message is null)
        {
            await graph.InvalidArgumentAsync(context, "The provided [statusMessage.message] is required.");
            return;
        }

        if (message.ContentType is { } contentType && !string.Equals(contentType, "text", StringComparison.OrdinalIgnoreCase))
        {
            await graph.InvalidArgumentAsync(context, $"The provided [statusMessage.message.contentType] '{contentType}' is not supported: only text is.");
            return;
        }

        var content = message.Content ?? string.Empty;
        if (content.Length > MaxStatusMessageLength)
        {
            await graph.InvalidArgumentAsync(context, $"The provided [statusMessage.message.content] is {content.Length} characters long; at most {MaxStatusMessageLength} are allowed.");
            return;
        }

        DateTimeOffset? expiresAt = null;
        if (body.StatusMessage.ExpiryDateTime is { DateTime: { Length: > 0 } dateTime } expiry)
        {
            if (!TryParseExpiry(dateTime, expiry.TimeZone, out var parsed))
            {
                await graph.InvalidArgumentAsync(context, $"The provided [statusMessage.expiryDateTime] '{dateTime}' ({expiry.TimeZone}) is not a valid date and time.");
                return;
            }

            expiresAt = parsed;
        }

        if (content.Length == 0)
        {
            messages.TryRemove(userId, out _);
        }
        else
        {
            messages[userId] = new StatusMessageRecord(content, expiresAt, core.Clock.Now);
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private static bool TryParseExpiry(string dateTime, string? timeZone, out DateTimeOffset value)
    {
        value = default;
        if (!DateTime.TryParse(dateTime, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var local))
        {
            return false;
        }

        var zone = TimeZoneInfo.Utc;
        if (!string.IsNullOrEmpty(timeZone) && !string.Equals(timeZone, "UTC", StringComparison.OrdinalIgnoreCase)
            && !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out zone))
        {
            return false;
        }

        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        value = new DateTimeOffset(unspecified, zone!.GetUtcOffset(unspecified));
        return true;
    }

    private sealed record StatusMessageRecord(string Content, DateTimeOffset? ExpiresAt, DateTimeOffset PublishedAt);

    private sealed class StatusMessageRequestBody
    {
        public StatusMessageBody? StatusMessage { get; set; }
    }

    private sealed class StatusMessageBody
    {
        public ItemBody? Message { get; set; }

        public DateTimeTimeZoneBody? ExpiryDateTime { get; set; }
    }

    private sealed class ItemBody
    {
        public string? Content { get; set; }

        public string? ContentType { get; set; }
    }

    private sealed class DateTimeTimeZoneBody
    {
        public string? DateTime { get; set; }

        public string? TimeZone { get; set; }
    }
}
