using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>The unauthenticated <c>/_emulator/</c> endpoints: fault rules and a state dump.</summary>
internal sealed class AdminEndpoints(EmulatorCore core)
{
    public void Map(IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/_emulator");
        group.MapPost("/faults", new RequestDelegate(AddFaultAsync));
        group.MapGet("/faults", new RequestDelegate(context => WriteJsonAsync(context, StatusCodes.Status200OK, core.Faults.Rules)));
        group.MapDelete("/faults", new RequestDelegate(ClearFaults));
        group.MapGet("/state", new RequestDelegate(GetStateAsync));
    }

    private static async Task WriteJsonAsync<T>(HttpContext context, int status, T value)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = GraphResponses.JsonContentType;
        await JsonSerializer.SerializeAsync(context.Response.Body, value, EmulatorJson.Options, context.RequestAborted);
    }

    private async Task AddFaultAsync(HttpContext context)
    {
        FaultRule? rule = null;
        try
        {
            rule = await JsonSerializer.DeserializeAsync<FaultRule>(context.Request.Body, EmulatorJson.Options, context.RequestAborted);
        }
        catch (JsonException)
        {
        }

        if (rule is null)
        {
            await GraphResponses.WriteErrorAsync(context, StatusCodes.Status400BadRequest, "BadRequest", "The body must be a JSON fault rule.", core.Clock.Now);
            return;
        }

        try
        {
            core.Faults.Add(rule);
        }
        catch (ArgumentException ex)
        {
            await GraphResponses.WriteErrorAsync(context, StatusCodes.Status400BadRequest, "InvalidArgument", ex.Message, core.Clock.Now);
            return;
        }

        await WriteJsonAsync(context, StatusCodes.Status201Created, rule);
    }

    private Task ClearFaults(HttpContext context)
    {
        core.Faults.Clear();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private Task GetStateAsync(HttpContext context)
    {
        var snapshot = core.Store.Snapshot();
        var users = new List<object>(snapshot.Count);
        var history = new List<PresenceChange>();
        foreach (var user in snapshot)
        {
            history.AddRange(user.History);
            users.Add(new
            {
                id = user.UserId,
                availability = user.Presence.Availability,
                activity = user.Presence.Activity,
                preferredPresence = user.Preferred is { } preferred
                    ? new { availability = preferred.Pair.Availability, activity = preferred.Pair.Activity, expiresAt = preferred.ExpiresAt, effective = user.PreferredEffective }
                    : null,
                sessions = user.Sessions,
            });
        }

        history.Sort(PresenceStore.CompareChanges);
        var options = core.Options;
        var counters = core.Counters;
        var state = new
        {
            now = core.Clock.Now,
            mode = options.Mode,
            timeScale = options.TimeScale,
            inactivityTimeout = options.InactivityTimeout,
            counters = new
            {
                totalRequests = counters.TotalRequests,
                throttledRequests = counters.ThrottledRequests,
                unauthorizedRequests = counters.UnauthorizedRequests,
                injectedFaults = counters.InjectedFaults,
                byOperation = counters.ByOperation,
            },
            faults = core.Faults.Rules,
            users,
            history,
        };
        return WriteJsonAsync(context, StatusCodes.Status200OK, state);
    }
}
