using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;

namespace PresenceKeepAlive.Orleans.Tests.Shared;

/// <summary>Registers the process-wide test providers on a silo. Call them with the same instances on every silo of the process.</summary>
internal static class ProcessWideSiloBuilderExtensions
{
    /// <summary>
    /// Makes <paramref name="storage"/> the grain storage named <paramref name="name"/> on this silo: what
    /// <c>[PersistentState(stateName, name)]</c> and <c>[StorageProvider(ProviderName = name)]</c> resolve (a keyed
    /// <see cref="global::Orleans.Storage.IGrainStorage"/> singleton under <paramref name="name"/>; under
    /// <c>"Default"</c> also the unnamed default storage). The silo gets a view of <paramref name="storage"/> that shares
    /// its records and serializes with the silo's own serializer.
    /// </summary>
    public static ISiloBuilder AddProcessWideGrainStorage(this ISiloBuilder builder, string name, ProcessWideGrainStorage storage)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(storage);

        builder.Services.AddGrainStorage(name, (siloServices, _) => storage.BindTo(siloServices));
        return builder;
    }

    /// <summary>
    /// Adds reminders to this silo (<c>AddReminders()</c>) with <paramref name="table"/> as its
    /// <see cref="IReminderTable"/>, replacing any reminder table registered before (such as
    /// <c>UseInMemoryReminderService()</c>'s).
    /// </summary>
    public static ISiloBuilder UseProcessWideReminders(this ISiloBuilder builder, ProcessWideReminderTable table)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(table);

        builder.AddReminders();
        builder.Services.RemoveAll<IReminderTable>();
        builder.Services.AddSingleton<IReminderTable>(table);
        return builder;
    }
}
