using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Graph.Users.Item.Presence.ClearPresence;
using Microsoft.Graph.Users.Item.Presence.SetPresence;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;
using PresenceKeepAlive.Diagnostics.Internal;
using PresenceKeepAlive.Http.Internal;

namespace PresenceKeepAlive.Protocol.Internal;

/// <summary>
/// Speaks Graph's presence API through the official <see cref="GraphServiceClient"/> and its Kiota request adapter:
/// v1.0 <c>setPresence</c>/<c>clearPresence</c>, or the seed's beta <c>PATCH /users/{id}/presence</c>.
/// </summary>
internal sealed partial class GraphPresenceProtocol : IPresenceProtocol
{
    /// <summary>The operation name of v1.0 <c>setPresence</c> (logs, spans, metrics).</summary>
    internal const string SetPresenceOperation = "setPresence";

    /// <summary>The operation name of v1.0 <c>clearPresence</c>.</summary>
    internal const string ClearPresenceOperation = "clearPresence";

    /// <summary>The operation name of the seed's beta <c>PATCH /users/{id}/presence</c>.</summary>
    internal const string PatchOperation = "patchPresence";

    private const string PatchUrlTemplate = "{+baseurl}/users/{user%2Did}/presence";

    private static readonly Dictionary<string, ParsableFactory<IParsable>> ErrorMapping = new()
    {
        ["XXX"] = ODataError.CreateFromDiscriminatorValue,
    };

    private readonly GraphServiceClient _graph;
    private readonly string _sessionId;
    private readonly TimeSpan _lease;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Initializes the protocol.</summary>
    /// <param name="graph">The SDK client over the named HTTP client.</param>
    /// <param name="protocol">SetPresence or Patch.</param>
    /// <param name="clientId">The app registration's id, which is also the presence sessionId.</param>
    /// <param name="lease">The expirationDuration sent with setPresence (PT5M..PT4H).</param>
    /// <param name="timeProvider">The clock a Retry-After date is measured against.</param>
    /// <param name="logger">Logs each send.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="clientId"/> is not a GUID.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lease"/> or <paramref name="protocol"/> is out of range.</exception>
    public GraphPresenceProtocol(
        GraphServiceClient graph,
        PresenceProtocol protocol,
        string clientId,
        TimeSpan lease,
        TimeProvider timeProvider,
        ILogger<GraphPresenceProtocol> logger)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);

        var clientProblem = PresenceRequestValidator.DescribeInvalidClientId(clientId);
        if (clientProblem is not null)
        {
            throw new ArgumentException(clientProblem, nameof(clientId));
        }

        var leaseProblem = PresenceRequestValidator.DescribeInvalidLease(lease);
        if (leaseProblem is not null)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), lease, leaseProblem);
        }

        if (protocol is not (PresenceProtocol.SetPresence or PresenceProtocol.Patch))
        {
            throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Protocol must be SetPresence or Patch.");
        }

        _graph = graph;
        Protocol = protocol;
        _sessionId = clientId;
        _lease = lease;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <inheritdoc/>
    public PresenceProtocol Protocol { get; }

    /// <inheritdoc/>
    public Task SetPresenceAsync(string userId, PresenceState state, ActivityContext parent, CancellationToken cancellationToken)
    {
        PresenceRequestValidator.ValidateUserId(userId);
        ArgumentNullException.ThrowIfNull(state);
        if (!state.IsSupportedBy(Protocol))
        {
            throw new ArgumentException(
                $"The {Protocol} protocol cannot set {state}. Allowed pairs: {PresenceState.Describe(PresenceState.ValuesFor(Protocol))}." +
                (Protocol == PresenceProtocol.SetPresence && state == PresenceState.Offline ? " To sign off, clear the session instead." : string.Empty),
                nameof(state));
        }

        return Protocol == PresenceProtocol.SetPresence
            ? SendAsync(SetPresenceOperation, userId, state, SendSetPresenceAsync, parent, cancellationToken)
            : SendAsync(PatchOperation, userId, state, SendPatchAsync, parent, cancellationToken);
    }

    /// <inheritdoc/>
    public Task ClearPresenceAsync(string userId, ActivityContext parent, CancellationToken cancellationToken)
    {
        PresenceRequestValidator.ValidateUserId(userId);
        return Protocol == PresenceProtocol.SetPresence
            ? SendAsync(ClearPresenceOperation, userId, state: null, SendClearPresenceAsync, parent, cancellationToken)
            : SendAsync(PatchOperation, userId, PresenceState.Offline, SendPatchAsync, parent, cancellationToken);
    }

    private Task SendSetPresenceAsync(string userId, PresenceState? state, CancellationToken cancellationToken) =>
        IsMe(userId)
            ? _graph.Me.Presence.SetPresence.PostAsync(
                new Microsoft.Graph.Me.Presence.SetPresence.SetPresencePostRequestBody
                {
                    SessionId = _sessionId,
                    Availability = state!.Availability,
                    Activity = state.Activity,
                    ExpirationDuration = _lease,
                },
                cancellationToken: cancellationToken)
            : _graph.Users[userId].Presence.SetPresence.PostAsync(
            new SetPresencePostRequestBody
            {
                SessionId = _sessionId,
                Availability = state!.Availability,
                Activity = state.Activity,
                ExpirationDuration = _lease,
            },
            cancellationToken: cancellationToken);

    private Task SendClearPresenceAsync(string userId, PresenceState? state, CancellationToken cancellationToken) =>
        IsMe(userId)
            ? _graph.Me.Presence.ClearPresence.PostAsync(
                new Microsoft.Graph.Me.Presence.ClearPresence.ClearPresencePostRequestBody { SessionId = _sessionId },
                cancellationToken: cancellationToken)
            : _graph.Users[userId].Presence.ClearPresence.PostAsync(
            new ClearPresencePostRequestBody { SessionId = _sessionId },
            cancellationToken: cancellationToken);

    private Task SendPatchAsync(string userId, PresenceState? state, CancellationToken cancellationToken)
    {
        var adapter = _graph.RequestAdapter;
        var request = new RequestInformation(Method.PATCH, PatchUrlTemplate, new Dictionary<string, object>
        {
            ["baseurl"] = adapter.BaseUrl!,
            ["user%2Did"] = userId,
        });
        request.Headers.TryAdd("Accept", "application/json");
        request.SetContentFromParsable(adapter, "application/json", new SeedPresencePatchBody
        {
            Availability = state!.Availability,
            Activity = state.Activity,
        });
        return adapter.SendNoContentAsync(request, ErrorMapping, cancellationToken);
    }

    private async Task SendAsync(
        string operation,
        string userId,
        PresenceState? state,
        Func<string, PresenceState?, CancellationToken, Task> send,
        ActivityContext parent,
        CancellationToken cancellationToken)
    {
        // Counted per attempt below (PresenceAttemptHandler), logged and traced here per send. Both AsyncLocal changes
        // stay inside this async method and are undone when it returns.
        PresenceOperationScope.Begin(operation, cancellationToken, _timeProvider.GetTimestamp());
        if (parent == default)
        {
            // No parent means a root span, whatever span the calling flow happens to carry.
            Activity.Current = null;
        }

        using var activity = PresenceKeepAliveMetrics.ActivitySource.StartActivity(operation, ActivityKind.Client, parent);
        activity?.SetTag("presence.operation", operation);
        activity?.SetTag("presence.state", state?.ToString());

        try
        {
            await send(userId, state, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("presence.outcome", "success");
            Log.RequestSucceeded(_logger, operation, userId, state?.ToString());
        }
        catch (ApiException ex) when (operation == ClearPresenceOperation && ex.ResponseStatusCode == 404)
        {
            // clearPresence answers 404 when the session no longer exists: it is already signed off.
            activity?.SetTag("presence.outcome", "not_found");
            Log.ClearFoundNoSession(_logger, userId);
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
