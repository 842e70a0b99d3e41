using System.Text.Json;
using System.Xml;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>The presence operations, mapped under both <c>/v1.0</c> and <c>/beta</c>.</summary>
internal sealed class GraphEndpoints(EmulatorCore core)
{
    public const int MaxIdsPerRequest = 650;
    private static readonly TimeSpan DefaultLease = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MinLease = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MaxLease = TimeSpan.FromHours(4);
    private readonly PresenceExtrasEndpoints extras = new(core);

    public void Map(IEndpointRouteBuilder routes, string prefix)
    {
        var group = routes.MapGroup(prefix);
        group.MapPost("/users/{id}/presence/setPresence", new RequestDelegate(SetPresenceAsync)).WithMetadata(new OperationMetadata(EmulatorOperation.SetPresence));
        group.MapPost("/users/{id}/presence/clearPresence", new RequestDelegate(ClearPresenceAsync)).WithMetadata(new OperationMetadata(EmulatorOperation.ClearPresence));
        group.MapPost("/users/{id}/presence/setUserPreferredPresence", new RequestDelegate(SetPreferredAsync)).WithMetadata(new OperationMetadata(EmulatorOperation.SetUserPreferredPresence));
        group.MapPost("/users/{id}/presence/clearUserPreferredPresence", new RequestDelegate(ClearPreferredAsync)).WithMetadata(new OperationMetadata(EmulatorOperation.ClearUserPreferredPresence));
        group.MapGet("/users/{id}/presence", new RequestDelegate(GetPresenceAsync)).WithMetadata(new OperationMetadata(EmulatorOperation.GetPresence));
        group.MapPatch("/users/{id}/presence", new RequestDelegate(PatchPresenceAsync)).WithMetadata(new OperationMetadata(EmulatorOperation.PatchPresence));
        group.MapPost("/communications/getPresencesByUserId", new RequestDelegate(GetPresencesByUserIdAsync)).WithMetadata(new OperationMetadata(EmulatorOperation.GetPresencesByUserId));
        extras.Map(group, this);
        group.Map("/{**rest}", new RequestDelegate(UnknownAsync));
    }

    /// <summary>A GUID, or a UPN-like <c>name@domain</c> without characters that could steer a path.</summary>
    internal static bool IsValidUserId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 256)
        {
            return false;
        }

        if (Guid.TryParse(id, out _))
        {
            return true;
        }

        var at = id.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == id.Length - 1 || id.IndexOf('@', at + 1) >= 0)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '\\' or '?' or '#' or '%' or ':' or '"' or '\'' or '(' or ')')
            {
                return false;
            }
        }

        return true;
    }

    internal async Task SetPresenceAsync(HttpContext context)
    {
        if (await ReadUserIdAsync(context) is not { } userId
            || await ReadBodyAsync<PresenceRequestBody>(context) is not { } body
            || await ReadSessionIdAsync(context, body.SessionId) is not { } sessionId)
        {
            return;
        }

        if (!PresencePairs.TryFind(PresencePairs.SetPresence, body.Availability, body.Activity, out var pair))
        {
            await InvalidPairAsync(context, body, "setPresence", PresencePairs.SetPresenceList);
            return;
        }

        var lease = DefaultLease;
        if (body.ExpirationDuration is not null)
        {
            if (!TryParseDuration(body.ExpirationDuration, out lease) || lease < MinLease || lease > MaxLease)
            {
                await InvalidArgumentAsync(context, "The provided [ExpirationDuration] is out of range.");
                return;
            }
        }

        core.Store.SetSession(userId, sessionId, EmulatedSessionProtocol.SetPresence, pair, lease);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    internal async Task ClearPresenceAsync(HttpContext context)
    {
        if (await ReadUserIdAsync(context) is not { } userId
            || await ReadBodyAsync<PresenceRequestBody>(context) is not { } body
            || await ReadSessionIdAsync(context, body.SessionId) is not { } sessionId)
        {
            return;
        }

        if (!core.Store.ClearSession(userId, sessionId))
        {
            await GraphResponses.WriteErrorAsync(
                context,
                StatusCodes.Status404NotFound,
                "NotFound",
                $"The presence session '{sessionId}' of user '{userId}' does not exist.",
                core.Clock.Now);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    internal async Task SetPreferredAsync(HttpContext context)
    {
        if (await ReadUserIdAsync(context) is not { } userId
            || await ReadBodyAsync<PresenceRequestBody>(context) is not { } body)
        {
            return;
        }

        if (!PresencePairs.TryFind(PresencePairs.Preferred, body.Availability, body.Activity, out var pair))
        {
            await InvalidPairAsync(context, body, "setUserPreferredPresence", PresencePairs.PreferredList);
            return;
        }

        // Graph's defaults: one day for Busy and DoNotDisturb, seven days for the others.
        var duration = pair.Availability is PresencePairs.Busy or PresencePairs.DoNotDisturb ? TimeSpan.FromDays(1) : TimeSpan.FromDays(7);
        if (body.ExpirationDuration is not null)
        {
            if (!TryParseDuration(body.ExpirationDuration, out duration) || duration <= TimeSpan.Zero)
            {
                await InvalidArgumentAsync(context, "The provided [ExpirationDuration] is out of range.");
                return;
            }
        }

        core.Store.SetPreferred(userId, pair, duration);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    internal async Task ClearPreferredAsync(HttpContext context)
    {
        // The body is {} or empty (the SDK sends none); nothing in it matters.
        if (await ReadUserIdAsync(context) is not { } userId)
        {
            return;
        }

        core.Store.ClearPreferred(userId);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    internal async Task GetPresenceAsync(HttpContext context)
    {
        if (await ReadUserIdAsync(context) is not { } userId)
        {
            return;
        }

        var pair = core.Store.GetPresence(userId);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GraphResponses.JsonContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, EmulatorJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("@odata.context", MetadataUrl(context, $"users('{userId}')/presence/$entity"));
            writer.WriteString("id", userId);
            writer.WriteString("availability", pair.Availability);
            writer.WriteString("activity", pair.Activity);
            extras.WriteStatusMessage(writer, userId);
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private async Task PatchPresenceAsync(HttpContext context)
    {
        if (await ReadUserIdAsync(context) is not { } userId
            || await ReadBodyAsync<PresenceRequestBody>(context) is not { } body)
        {
            return;
        }

        if (!PresencePairs.TryFind(PresencePairs.SeedPatch, body.Availability, body.Activity, out var pair))
        {
            await InvalidPairAsync(context, body, "PATCH presence", PresencePairs.SeedPatchList);
            return;
        }

        // One seed session per user and calling app; Offline/Offline signs it off (and is no error when absent).
        var sessionId = "seed:" + (context.Features.Get<GraphRequestInfo>()?.AppKey ?? CallerIdentity.Anonymous);
        if (pair == PresencePairs.OfflinePair)
        {
            core.Store.ClearSession(userId, sessionId);
        }
        else
        {
            core.Store.SetSession(userId, sessionId, EmulatedSessionProtocol.SeedPatch, pair, lease: null);
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task GetPresencesByUserIdAsync(HttpContext context)
    {
        if (await ReadBodyAsync<IdsRequestBody>(context) is not { } body)
        {
            return;
        }

        var ids = body.Ids;
        if (ids is null || ids.Count == 0)
        {
            await InvalidArgumentAsync(context, "The provided [ids] must contain at least one user id.");
            return;
        }

        if (ids.Count > MaxIdsPerRequest)
        {
            await InvalidArgumentAsync(context, $"The provided [ids] has {ids.Count} ids; at most {MaxIdsPerRequest} are allowed per request.");
            return;
        }

        foreach (var id in ids)
        {
            // As Graph: getPresencesByUserId takes directory object ids only; one user principal name fails the call.
            if (!IsValidUserId(id) || !Guid.TryParseExact(id, "D", out _))
            {
                await InvalidArgumentAsync(context, $"The provided id '{id}' is not a valid user id: an object id (GUID) is required.");
                return;
            }
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GraphResponses.JsonContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, EmulatorJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("@odata.context", MetadataUrl(context, "Collection(microsoft.graph.presence)"));
            writer.WriteStartArray("value");
            foreach (var id in ids)
            {
                GraphResponses.WritePresence(writer, id!, core.Store.GetPresence(id!));
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private Task UnknownAsync(HttpContext context) =>
        GraphResponses.WriteErrorAsync(
            context,
            StatusCodes.Status400BadRequest,
            "BadRequest",
            $"Resource not found for the segment '{context.Request.Path.Value}' with method {context.Request.Method}; the presence emulator serves only the presence operations.",
            core.Clock.Now);

    private static string MetadataUrl(HttpContext context, string fragment)
    {
        var request = context.Request;
        var version = request.Path.StartsWithSegments("/beta", StringComparison.OrdinalIgnoreCase) ? "beta" : "v1.0";
        return $"{request.Scheme}://{request.Host}/{version}/$metadata#{fragment}";
    }

    private static bool TryParseDuration(string text, out TimeSpan value)
    {
        try
        {
            value = XmlConvert.ToTimeSpan(text);
            return true;
        }
        catch (FormatException)
        {
        }
        catch (OverflowException)
        {
        }

        value = default;
        return false;
    }

    internal async Task<string?> ReadUserIdAsync(HttpContext context)
    {
        var id = context.Request.RouteValues["id"] as string;
        if (IsValidUserId(id))
        {
            return id;
        }

        await GraphResponses.WriteErrorAsync(
            context,
            StatusCodes.Status404NotFound,
            "Request_ResourceNotFound",
            $"Resource '{id}' does not exist or one of its queried reference-property objects are not present.",
            core.Clock.Now);
        return null;
    }

    private async Task<string?> ReadSessionIdAsync(HttpContext context, string? sessionId)
    {
        if (Guid.TryParse(sessionId, out var parsed))
        {
            return parsed.ToString("D");
        }

        await InvalidArgumentAsync(
            context,
            string.IsNullOrEmpty(sessionId)
                ? "The provided [SessionId] is missing; it must be the application (client) id."
                : "The provided [SessionId] is not a GUID; it must be the application (client) id.");
        return null;
    }

    internal async Task<T?> ReadBodyAsync<T>(HttpContext context)
        where T : class
    {
        T? body = null;
        try
        {
            body = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, EmulatorJson.Options, context.RequestAborted);
        }
        catch (JsonException)
        {
        }

        if (body is null)
        {
            await GraphResponses.WriteErrorAsync(
                context,
                StatusCodes.Status400BadRequest,
                "BadRequest",
                "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
                core.Clock.Now);
        }

        return body;
    }

    private Task InvalidPairAsync(HttpContext context, PresenceRequestBody body, string operation, string allowed) =>
        InvalidArgumentAsync(
            context,
            body.Availability is null || body.Activity is null
                ? $"The provided [Availability] and [Activity] are required by {operation}. Supported pairs: {allowed}."
                : $"The availability/activity pair '{body.Availability}/{body.Activity}' is not supported by {operation}. Supported pairs: {allowed}.");

    internal Task InvalidArgumentAsync(HttpContext context, string message) =>
        GraphResponses.WriteErrorAsync(context, StatusCodes.Status400BadRequest, "InvalidArgument", message, core.Clock.Now);
}
