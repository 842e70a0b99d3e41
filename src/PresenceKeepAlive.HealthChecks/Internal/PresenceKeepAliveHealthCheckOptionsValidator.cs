using Microsoft.Extensions.Options;

namespace PresenceKeepAlive.HealthChecks.Internal;

/// <summary>Checks <see cref="PresenceKeepAliveHealthCheckOptions"/>; each message names the setting, its value and the rule.</summary>
internal sealed class PresenceKeepAliveHealthCheckOptionsValidator : IValidateOptions<PresenceKeepAliveHealthCheckOptions>
{
    public ValidateOptionsResult Validate(string? name, PresenceKeepAliveHealthCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var prefix = $"Health check '{name}': ";

        if (double.IsNaN(options.UnhealthyShare) || options.UnhealthyShare is < 0 or > 1)
        {
            failures.Add(FormattableString.Invariant(
                $"{prefix}UnhealthyShare {options.UnhealthyShare} must be from 0 to 1 (a share of the live sessions, 0.1 for 10%)"));
        }

        if (options.RetryingDegradedAfter is { } retrying && retrying <= TimeSpan.Zero)
        {
            failures.Add($"{prefix}RetryingDegradedAfter {retrying:c} must be positive, or left unset for half of SessionTimeout");
        }

        if (options.OverdueDegradedAfter <= TimeSpan.Zero)
        {
            failures.Add($"{prefix}OverdueDegradedAfter {options.OverdueDegradedAfter:c} must be positive");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
