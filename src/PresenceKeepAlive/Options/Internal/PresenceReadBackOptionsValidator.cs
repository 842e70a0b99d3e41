namespace PresenceKeepAlive.Options.Internal;

/// <summary>Checks <see cref="PresenceKeepAliveOptions.ReadBack"/>; each message names the setting, its value and the rule.</summary>
internal static class PresenceReadBackOptionsValidator
{
    /// <summary>The shortest read-back interval: reading faster than Teams shows changes only spends budget.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(10);

    /// <summary>Adds a message to <paramref name="failures"/> for every setting of <paramref name="options"/> that is out of range.</summary>
    public static void Validate(PresenceReadBackOptions? options, List<string> failures)
    {
        ArgumentNullException.ThrowIfNull(failures);
        if (options is null)
        {
            return;
        }

        if (options.Interval < MinInterval || options.Interval > TimeSpan.FromHours(1))
        {
            failures.Add($"ReadBack:Interval {options.Interval:c} is out of range: it must be from {MinInterval:c} to 01:00:00.");
        }

        if (options.GracePeriod < TimeSpan.Zero || options.GracePeriod > TimeSpan.FromHours(1))
        {
            failures.Add($"ReadBack:GracePeriod {options.GracePeriod:c} is out of range: it must be from 00:00:00 to 01:00:00.");
        }

        if (options.BatchSize is < 1 or > PresenceReadBackOptions.MaxBatchSize)
        {
            failures.Add($"ReadBack:BatchSize {options.BatchSize} is out of range: getPresencesByUserId takes from 1 to {PresenceReadBackOptions.MaxBatchSize} users a call.");
        }

        if (double.IsNaN(options.BudgetShare) || options.BudgetShare <= 0 || options.BudgetShare > 0.25)
        {
            failures.Add($"ReadBack:BudgetShare {options.BudgetShare} is out of range: it must be greater than 0 and at most 0.25 (a quarter of the rate budget).");
        }
    }
}
