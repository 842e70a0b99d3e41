using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace PresenceKeepAlive.HealthChecks.Internal;

/// <summary>
/// Judges the sessions of one <see cref="IPresenceSessionManager"/> through its public API only (status, last
/// confirmation, next refresh), as <see cref="PresenceKeepAliveHealthCheckOptions"/> describes.
/// </summary>
internal sealed class PresenceKeepAliveHealthCheck : IHealthCheck
{
    /// <summary>The data key of the number of sessions held.</summary>
    public const string SessionsKey = "sessions";

    /// <summary>The data key of the number of retrying sessions unconfirmed for longer than the threshold.</summary>
    public const string RetryingTooLongKey = "retryingTooLong";

    /// <summary>The data key of the number of sessions whose refresh is overdue.</summary>
    public const string OverdueKey = "overdue";

    /// <summary>The data key of the share of live sessions that are lapsed or failed.</summary>
    public const string LapsedOrFailedShareKey = "lapsedOrFailedShare";

    private static readonly PresenceSessionStatus[] Statuses = Enum.GetValues<PresenceSessionStatus>();

    private readonly IServiceProvider _services;

    public PresenceKeepAliveHealthCheck(IServiceProvider services) => _services = services;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Resolved here, not in the registration's factory: what fails here is reported as the check's result (the health
        // check service lets a factory's exception escape to the endpoint).
        var manager = _services.GetService<IPresenceSessionManager>() ?? throw new InvalidOperationException(
            "The PresenceKeepAlive health check found no IPresenceSessionManager: call services.AddPresenceSession(...) as well as AddPresenceKeepAlive().");
        var options = _services.GetRequiredService<IOptionsMonitor<PresenceKeepAliveHealthCheckOptions>>().Get(context.Registration.Name);
        var sessionTimeout = _services.GetRequiredService<IOptions<PresenceKeepAliveOptions>>().Value.SessionTimeout;
        var result = Check(
            manager,
            _services.GetRequiredService<RetryingSinceTracker>(),
            _services.GetRequiredService<TimeProvider>().GetUtcNow(),
            options,
            options.RetryingDegradedAfter ?? sessionTimeout / 2,
            context.Registration.FailureStatus);
        return Task.FromResult(result);
    }

    private static HealthCheckResult Check(
        IPresenceSessionManager manager,
        RetryingSinceTracker tracker,
        DateTimeOffset now,
        PresenceKeepAliveHealthCheckOptions options,
        TimeSpan retryingDegradedAfter,
        HealthStatus failureStatus)
    {
        var counts = new int[Statuses.Length];
        int total = 0, retryingTooLong = 0, overdue = 0;

        foreach (var session in manager.Sessions)
        {
            total++;
            var status = session.Status;
            counts[(int)status]++;

            if (status == PresenceSessionStatus.Retrying)
            {
                var since = session.LastConfirmedAt ?? tracker.RetryingSince(session, now);
                if (now - since > retryingDegradedAfter)
                {
                    retryingTooLong++;
                }
            }
            else
            {
                tracker.Forget(session);
            }

            if (status is PresenceSessionStatus.Active or PresenceSessionStatus.Retrying &&
                session.NextRefreshAt is { } due && now - due > options.OverdueDegradedAfter)
            {
                overdue++;
            }
        }

        var lapsedOrFailed = counts[(int)PresenceSessionStatus.Lapsed] + counts[(int)PresenceSessionStatus.Failed];
        var live = lapsedOrFailed + counts[(int)PresenceSessionStatus.Active] + counts[(int)PresenceSessionStatus.Retrying];
        var share = live == 0 ? 0d : (double)lapsedOrFailed / live;

        var data = new Dictionary<string, object>(Statuses.Length + 4, StringComparer.Ordinal)
        {
            [SessionsKey] = total,
        };
        foreach (var status in Statuses)
        {
            data[DataKey(status)] = counts[(int)status];
        }

        data[RetryingTooLongKey] = retryingTooLong;
        data[OverdueKey] = overdue;
        data[LapsedOrFailedShareKey] = share;

        var problems = new List<string>(3);
        if (lapsedOrFailed > 0)
        {
            problems.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"{lapsedOrFailed} of {live} live presence {Sessions(live)} lapsed or failed ({share:0.#%}; {(share > options.UnhealthyShare ? "above" : "within")} the {options.UnhealthyShare:0.#%} allowed)"));
        }

        if (retryingTooLong > 0)
        {
            problems.Add($"{retryingTooLong} {Sessions(retryingTooLong)} retrying, unconfirmed for more than {retryingDegradedAfter:c}");
        }

        if (overdue > 0)
        {
            problems.Add($"{overdue} {Sessions(overdue)} with a refresh overdue by more than {options.OverdueDegradedAfter:c}: the rate budget cannot keep up (over capacity)");
        }

        if (lapsedOrFailed > 0 && share > options.UnhealthyShare)
        {
            return new HealthCheckResult(failureStatus, Describe(problems), data: data);
        }

        if (problems.Count > 0)
        {
            return HealthCheckResult.Degraded(Describe(problems), data: data);
        }

        var description = total == 0
            ? "No presence sessions."
            : $"{total} presence {Sessions(total)}: {counts[(int)PresenceSessionStatus.Active]} active, none at risk.";
        return HealthCheckResult.Healthy(description, data);
    }

    /// <summary>Returns the data key of the count of <paramref name="status"/>, for example <c>active</c>.</summary>
    public static string DataKey(PresenceSessionStatus status)
    {
        var name = status.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    private static string Sessions(int count) => count == 1 ? "session" : "sessions";

    private static string Describe(List<string> problems) => string.Join("; ", problems) + ".";
}
