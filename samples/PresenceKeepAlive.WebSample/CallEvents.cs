using PresenceKeepAlive;

namespace PresenceKeepAlive.WebSample;

/// <summary>Maps a phone system's call events to presence: a call started shows Busy / In a call, a call ended shows Available.</summary>
public static class CallEvents
{
    /// <summary>Maps <c>POST /calls/{user}/started</c> and <c>POST /calls/{user}/ended</c>.</summary>
    /// <param name="endpoints">The app's endpoints.</param>
    /// <returns>The group of the call endpoints.</returns>
    public static RouteGroupBuilder MapCallEvents(this IEndpointRouteBuilder endpoints)
    {
        var calls = endpoints.MapGroup("/calls/{user}");
        calls.MapPost("/started", (string user, IPresenceSessionManager presence, CancellationToken cancellationToken) =>
            SetAsync(presence, user, PresenceState.BusyInACall, cancellationToken));
        calls.MapPost("/ended", (string user, IPresenceSessionManager presence, CancellationToken cancellationToken) =>
            SetAsync(presence, user, PresenceState.Available, cancellationToken));
        return calls;
    }

    private static async Task<IResult> SetAsync(IPresenceSessionManager presence, string user, PresenceState state, CancellationToken cancellationToken)
    {
        IPresenceSession session;
        try
        {
            session = presence.GetOrCreate(user);
        }
        catch (ArgumentException ex)
        {
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status400BadRequest, title: "Not a user id");
        }

        try
        {
            await session.SetAsync(state, cancellationToken);
            return Results.NoContent();
        }
        catch (PresenceRequestException ex) when (ex.IsTransient)
        {
            // The session keeps the state and retries in the background: the phone system need not send the event again.
            return Results.Accepted(value: new { user, state = state.ToString(), status = session.Status.ToString(), retrying = ex.Message });
        }
        catch (PresenceRequestException ex)
        {
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status502BadGateway, title: "Graph refused the presence");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller hung up; the state is recorded and still sent.
            return Results.Accepted();
        }
    }
}
