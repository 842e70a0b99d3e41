using System.Globalization;
using System.Text;
using PresenceKeepAlive.Emulator;

namespace PresenceKeepAlive.Sample;

/// <summary>Prints one line per user: what the app wants, the session's status, what others see, and the refresh times.</summary>
internal static class PresenceTable
{
    public static void Print(string title, IEnumerable<string> userIds, IPresenceSessionManager manager, PresenceEmulator? emulator, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var text = new StringBuilder();
        text.AppendLine(title);
        text.Append(CultureInfo.InvariantCulture, $"   {"user",-20} {"desired",-24} {"status",-10} ");
        if (emulator is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"{"others see",-30} ");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"{"last refresh",-13} next refresh");
        foreach (var user in userIds)
        {
            manager.TryGet(user, out var session);
            text.Append(CultureInfo.InvariantCulture, $"   {user,-20} {session?.DesiredState?.ToString() ?? "-",-24} {session?.Status.ToString() ?? "(dropped)",-10} ");
            if (emulator is not null)
            {
                var shown = emulator.GetPresence(user);
                text.Append(CultureInfo.InvariantCulture, $"{shown.Availability + "/" + shown.Activity,-30} ");
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"{Ago(session?.LastConfirmedAt, now),-13} {In(session?.NextRefreshAt, now)}");
        }

        Console.Write(text.ToString());
    }

    private static string Ago(DateTimeOffset? at, DateTimeOffset now) =>
        at is { } t ? string.Create(CultureInfo.InvariantCulture, $"{(now - t).TotalSeconds:0.0}s ago") : "-";

    private static string In(DateTimeOffset? at, DateTimeOffset now) =>
        at is { } t ? string.Create(CultureInfo.InvariantCulture, $"in {Math.Max(0, (t - now).TotalSeconds):0.0}s") : "-";
}
