using System.Diagnostics;
using Microsoft.Graph.Communications.GetPresencesByUserId;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Http.Internal;
using MePreferred = Microsoft.Graph.Me.Presence.SetUserPreferredPresence.SetUserPreferredPresencePostRequestBody;
using MeStatusMessage = Microsoft.Graph.Me.Presence.SetStatusMessage.SetStatusMessagePostRequestBody;
using UserPreferred = Microsoft.Graph.Users.Item.Presence.SetUserPreferredPresence.SetUserPreferredPresencePostRequestBody;
using UserStatusMessage = Microsoft.Graph.Users.Item.Presence.SetStatusMessage.SetStatusMessagePostRequestBody;

namespace PresenceKeepAlive.Protocol.Internal;

/// <summary>Preferred presence, the status message and reading back, through the same SDK client and named HTTP client.</summary>
internal sealed partial class GraphPresenceProtocol : IPresenceUserProtocol
{
    /// <summary>The operation name of <c>setUserPreferredPresence</c>.</summary>
    internal const string SetPreferredOperation = "setUserPreferredPresence";

    /// <summary>The operation name of <c>clearUserPreferredPresence</c>.</summary>
    internal const string ClearPreferredOperation = "clearUserPreferredPresence";

    /// <summary>The operation name of <c>setStatusMessage</c>.</summary>
    internal const string SetStatusMessageOperation = "setStatusMessage";

    /// <summary>The operation name of <c>GET presence</c>.</summary>
    internal const string GetPresenceOperation = "getPresence";

    /// <summary>The operation name of <c>getPresencesByUserId</c>.</summary>
    internal const string GetPresencesOperation = "getPresencesByUserId";

    /// <summary>Returns whether <paramref name="userId"/> stands for the signed-in user (delegated self-mode: <c>/me</c> paths).</summary>
    internal static bool IsMe(string userId) => string.Equals(userId, PresenceUserIds.Me, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public Task SetPreferredPresenceAsync(string userId, PreferredPresence presence, TimeSpan expiration, CancellationToken cancellationToken)
    {
        PresenceRequestValidator.ValidateUserId(userId);
        ArgumentNullException.ThrowIfNull(presence);
        if (PreferredPresence.DescribeInvalidExpiration(expiration) is { } problem)
        {
            throw new ArgumentOutOfRangeException(nameof(expiration), expiration, problem);
        }

        return SendUserOperationAsync(SetPreferredOperation, userId, presence.ToString(), ct => IsMe(userId)
            ? _graph.Me.Presence.SetUserPreferredPresence.PostAsync(
                new MePreferred { Availability = presence.Availability, Activity = presence.Activity, ExpirationDuration = expiration }, cancellationToken: ct)
            : _graph.Users[userId].Presence.SetUserPreferredPresence.PostAsync(
                new UserPreferred { Availability = presence.Availability, Activity = presence.Activity, ExpirationDuration = expiration }, cancellationToken: ct),
            cancellationToken);
    }

    /// <inheritdoc/>
    public Task ClearPreferredPresenceAsync(string userId, CancellationToken cancellationToken)
    {
        PresenceRequestValidator.ValidateUserId(userId);
        return SendUserOperationAsync(ClearPreferredOperation, userId, null, ct => IsMe(userId)
            ? _graph.Me.Presence.ClearUserPreferredPresence.PostAsync(cancellationToken: ct)
            : _graph.Users[userId].Presence.ClearUserPreferredPresence.PostAsync(cancellationToken: ct),
            cancellationToken);
    }

    /// <inheritdoc/>
    public Task SetStatusMessageAsync(string userId, PresenceStatusMessage? message, CancellationToken cancellationToken)
    {
        PresenceRequestValidator.ValidateUserId(userId);

        // Graph clears the message when its content is empty.
        var body = new Microsoft.Graph.Models.PresenceStatusMessage
        {
            Message = new ItemBody { Content = message?.Text ?? string.Empty, ContentType = BodyType.Text },
        };
        if (message?.ExpiresAt is { } expiresAt)
        {
            // Set only when there is one: the SDK's backing store would otherwise send "expiryDateTime": null.
            body.ExpiryDateTime = new DateTimeTimeZone
            {
                DateTime = expiresAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", System.Globalization.CultureInfo.InvariantCulture),
                TimeZone = "UTC",
            };
        }

        return SendUserOperationAsync(SetStatusMessageOperation, userId, message is null ? "(clear)" : $"{message.Text.Length} characters", ct => IsMe(userId)
            ? _graph.Me.Presence.SetStatusMessage.PostAsync(new MeStatusMessage { StatusMessage = body }, cancellationToken: ct)
            : _graph.Users[userId].Presence.SetStatusMessage.PostAsync(new UserStatusMessage { StatusMessage = body }, cancellationToken: ct),
            cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<SeenPresence>> GetPresencesAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        if (userIds.Count is 0 or > PresenceReadBackOptions.MaxBatchSize)
        {
            throw new ArgumentException(
                $"getPresencesByUserId takes from 1 to {PresenceReadBackOptions.MaxBatchSize} user ids a call; {userIds.Count} were given.", nameof(userIds));
        }

        foreach (var id in userIds)
        {
            if (IsMe(id))
            {
                throw new ArgumentException("getPresencesByUserId needs the users' object ids; 'me' is not one: read the signed-in user with GET /me/presence (IPresenceSessionManager.GetPresencesAsync does).", nameof(userIds));
            }

            PresenceRequestValidator.ValidateObjectId(id, nameof(userIds));
        }

        GetPresencesByUserIdPostResponse? response = null;
        await SendUserOperationAsync(GetPresencesOperation, userIds[0], $"{userIds.Count} users", async ct =>
        {
            response = await _graph.Communications.GetPresencesByUserId.PostAsGetPresencesByUserIdPostResponseAsync(
                new GetPresencesByUserIdPostRequestBody { Ids = [.. userIds] }, cancellationToken: ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        var readAt = _timeProvider.GetUtcNow();
        var seen = new List<SeenPresence>(userIds.Count);
        var byId = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var id in userIds)
        {
            byId.TryAdd(id, id);
        }

        // Matched by the object id Graph answers with, never by position: an answer that names no user asked for is dropped.
        foreach (var presence in response?.Value ?? [])
        {
            if (presence.Id is { } answeredId && byId.Remove(answeredId, out var asked))
            {
                seen.Add(new SeenPresence(asked, presence.Availability ?? "PresenceUnknown", presence.Activity ?? "PresenceUnknown", readAt));
            }
        }

        return seen;
    }

    /// <inheritdoc/>
    public async Task<SeenPresence> GetSignedInPresenceAsync(CancellationToken cancellationToken)
    {
        Presence? presence = null;
        await SendUserOperationAsync(GetPresenceOperation, PresenceUserIds.Me, null, async ct =>
        {
            presence = await _graph.Me.Presence.GetAsync(cancellationToken: ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return new SeenPresence(PresenceUserIds.Me, presence?.Availability ?? "PresenceUnknown", presence?.Activity ?? "PresenceUnknown", _timeProvider.GetUtcNow());
    }

    private async Task SendUserOperationAsync(string operation, string userId, string? detail, Func<CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        // As SendAsync: counted per attempt by PresenceAttemptHandler, logged and traced here. A one-shot request is a root
        // span unless the caller has one.
        PresenceOperationScope.Begin(operation, cancellationToken, _timeProvider.GetTimestamp());
        using var activity = PresenceKeepAliveMetrics.ActivitySource.StartActivity(operation, ActivityKind.Client);
        activity?.SetTag("presence.operation", operation);
        try
        {
            await send(cancellationToken).ConfigureAwait(false);
            activity?.SetTag("presence.outcome", "success");
            Log.RequestSucceeded(_logger, operation, userId, detail);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var error = GraphErrorTranslator.Translate(ex, operation, userId, _timeProvider);
            activity?.SetTag("presence.outcome", error.StatusCode is { } s ? ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture) : ex is RateBudgetRefusedException ? "refused" : "network");
            activity?.SetStatus(ActivityStatusCode.Error, error.ErrorCode);
            Log.RequestFailed(_logger, operation, userId, (int?)error.StatusCode, error.ErrorCode, error.RequestId, error.IsTransient);
            throw error;
        }
    }
}
