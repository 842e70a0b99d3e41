using System.Globalization;
using System.Net;

namespace PresenceKeepAlive.Cli;

/// <summary>
/// <c>set --keep-alive</c>: sets the state, keeps it alive with the library's engine and shows a live status line (one
/// line rewritten in place on a terminal; one line per confirmation or status change when the output is redirected),
/// until Ctrl+C or <c>--for</c> ends, then signs the session off.
/// </summary>
internal sealed class KeepAliveView(IPresenceSession session, PresenceState state, TimeSpan? keepFor, TextWriter output, bool redirected, TimeProvider time)
{
    /// <summary>The longest <c>--for</c>: well inside what a timed <see cref="CancellationTokenSource"/> accepts (about 49.7 days).</summary>
    public static readonly TimeSpan MaxKeepFor = TimeSpan.FromDays(30);

    private static readonly TimeSpan SignOffLimit = TimeSpan.FromSeconds(30);
    private readonly object _write = new();
    private int _lastLength;
    private DateTimeOffset? _lastConfirmed;

    public async Task<int> RunAsync(CancellationToken stop)
    {
        session.StatusChanged += OnStatusChanged;
        try
        {
            await session.SetAsync(state, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl+C before the first acceptance: still sign off whatever may have reached the service.
        }
        catch (PresenceRequestException ex)
        {
            // The first set failed, but the session may still retry it: sign off before exiting so nothing stays behind.
            session.StatusChanged -= OnStatusChanged;
            WriteLine($"{session.UserId}: refused: {ex.Message}");
            await SignOffAsync().ConfigureAwait(false);
            return ex.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ExitCodes.NotAuthorized : ExitCodes.RequestFailed;
        }

        var until = keepFor is { } d ? time.GetUtcNow() + d : (DateTimeOffset?)null;
        WriteLine($"{session.UserId}: keeping {state} alive{(until is { } u ? string.Create(CultureInfo.InvariantCulture, $" until {u:HH:mm:ss}Z") : string.Empty)}; Ctrl+C signs off.");
        using var ended = keepFor is { } limit ? new CancellationTokenSource(limit, time) : new CancellationTokenSource();
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stop, ended.Token);
        do
        {
            Render();
            if (session.Status == PresenceSessionStatus.Failed)
            {
                session.StatusChanged -= OnStatusChanged;
                FinishLine();
                var error = session.LastError;
                WriteLine($"{session.UserId}: refused: {error?.Message}");
                await SignOffAsync().ConfigureAwait(false);
                return error?.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ExitCodes.NotAuthorized : ExitCodes.RequestFailed;
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        while (!either.IsCancellationRequested);

        session.StatusChanged -= OnStatusChanged;
        FinishLine();
        return await SignOffAsync().ConfigureAwait(false) ? ExitCodes.Success : ExitCodes.SignOffFailed;
    }

    /// <summary>Signs the session off within <see cref="SignOffLimit"/>; returns whether it was signed off.</summary>
    private async Task<bool> SignOffAsync()
    {
        try
        {
            using var giveUp = new CancellationTokenSource(SignOffLimit, time);
            await session.ClearAsync(giveUp.Token).ConfigureAwait(false);
            WriteLine($"{session.UserId}: signed off");
            return true;
        }
        catch (Exception ex) when (ex is PresenceRequestException or OperationCanceledException)
        {
            WriteLine($"{session.UserId}: sign-off failed ({ex.Message}); the state stays until its lease ends.");
            return false;
        }
    }

    private void OnStatusChanged(object? sender, PresenceSessionStatusChangedEventArgs e)
    {
        if (e.Status == PresenceSessionStatus.Active && e.PreviousStatus == PresenceSessionStatus.NotStarted)
        {
            return;
        }

        FinishLine();
        WriteLine($"{e.UserId}: {e.PreviousStatus} -> {e.Status}{(e.Error is { } error ? $" ({error.Message})" : string.Empty)}");
    }

    private void Render()
    {
        var confirmed = session.LastConfirmedAt;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{session.UserId}: {state} {session.Status}, confirmed {Time(confirmed)}, next refresh {Time(session.NextRefreshAt)}");
        lock (_write)
        {
            if (redirected)
            {
                // A script reads lines: one per confirmation.
                if (confirmed != _lastConfirmed)
                {
                    _lastConfirmed = confirmed;
                    output.WriteLine(text);
                    output.Flush();
                }

                return;
            }

            output.Write('\r' + text.PadRight(_lastLength));
            output.Flush();
            _lastLength = text.Length;
        }
    }

    private void FinishLine()
    {
        lock (_write)
        {
            if (!redirected && _lastLength > 0)
            {
                output.WriteLine();
                _lastLength = 0;
            }
        }
    }

    private void WriteLine(string text)
    {
        lock (_write)
        {
            output.WriteLine(text);
            output.Flush();
        }
    }

    private static string Time(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + "Z" : "-";
}
