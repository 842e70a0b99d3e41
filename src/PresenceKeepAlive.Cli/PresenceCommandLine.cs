using System.CommandLine;
using System.Globalization;
using System.Net;
using Azure.Identity;
using Microsoft.Extensions.Options;

namespace PresenceKeepAlive.Cli;

/// <summary>
/// <c>presence</c>: <c>set</c>, <c>clear</c>, <c>status</c>, <c>preferred</c>, <c>message</c>. Parsing by System.CommandLine;
/// every request through the library (<see cref="IPresenceSessionManager"/>), so it is validated, budgeted and retried
/// as in an application.
/// </summary>
internal static class PresenceCommandLine
{
    private static readonly Option<string?> BaseUrl = new("--base-url") { Description = "Graph's base URL (default https://graph.microsoft.com/v1.0, or PRESENCE_BASE_URL); http://127.0.0.1:PORT/v1.0 for the local emulator." };
    private static readonly Option<string?> TenantId = new("--tenant-id") { Description = "Directory (tenant) id (or PRESENCE_TENANT_ID / AZURE_TENANT_ID)." };
    private static readonly Option<string?> ClientId = new("--client-id") { Description = "Application (client) id, also the presence session id (or PRESENCE_CLIENT_ID / AZURE_CLIENT_ID). The secret comes from PRESENCE_CLIENT_SECRET only." };
    private static readonly Option<string?> CertificatePath = new("--certificate-path") { Description = "A PFX/PEM certificate for app-only sign-in (or PRESENCE_CERTIFICATE_PATH; password in PRESENCE_CERTIFICATE_PASSWORD)." };
    private static readonly Option<string?> SignIn = new("--sign-in") { Description = "Delegated sign-in for your own presence (USER 'me'): device-code or browser. The token cache persists between runs." };
    private static readonly Option<string?> EmulatorUser = new("--emulator-user") { Description = "Against a loopback emulator only: act as this signed-in user (its /me paths)." };
    private static readonly Option<bool> AllowUnencryptedCache = new("--allow-unencrypted-token-cache") { Description = "Let the persistent token cache be stored unencrypted where no keyring exists." };
    private static readonly Option<bool> Verbose = new("--verbose") { Description = "Show the library's log from Debug up on standard error." };

    /// <summary>Runs one command line; returns its exit code (see <see cref="ExitCodes"/>).</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Where results and the live status line go.</param>
    /// <param name="error">Where errors go.</param>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="stop">Ctrl+C: signs off and ends a keep-alive.</param>
    /// <param name="time">The clock for <c>--for</c> and the status line; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, string?> environment, CancellationToken stop, TimeProvider? time = null)
    {
        var root = Build(output, error, environment, time ?? TimeProvider.System);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors)
            {
                await error.WriteLineAsync(problem.Message).ConfigureAwait(false);
            }

            await error.WriteLineAsync("Run 'presence --help' for the commands and options.").ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }

        // Ctrl+C is the caller's to handle (it cancels 'stop'): a kept-alive session signs off, then the tool exits 0.
        var configuration = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
        return await parsed.InvokeAsync(configuration, stop).ConfigureAwait(false);
    }

    private static RootCommand Build(TextWriter output, TextWriter error, Func<string, string?> environment, TimeProvider time)
    {
        var root = new RootCommand("Set, keep alive, clear and read Microsoft Teams / Graph presence.");
        root.Subcommands.Add(SetCommand(output, error, environment, time));
        root.Subcommands.Add(ClearCommand(output, error, environment));
        root.Subcommands.Add(StatusCommand(output, error, environment));
        root.Subcommands.Add(PreferredCommand(output, error, environment));
        root.Subcommands.Add(MessageCommand(output, error, environment, time));
        return root;
    }

    private static Argument<string> UserArgument() =>
        new("USER") { Description = "The user's object id or user principal name, or 'me' (the signed-in user)." };

    private static void AddCommon(Command command)
    {
        foreach (var option in new Option[] { BaseUrl, TenantId, ClientId, CertificatePath, SignIn, EmulatorUser, AllowUnencryptedCache, Verbose })
        {
            command.Options.Add(option);
        }
    }

    private static CliSettings Settings(ParseResult result) => new(
        result.GetValue(BaseUrl),
        result.GetValue(TenantId),
        result.GetValue(ClientId),
        result.GetValue(CertificatePath),
        result.GetValue(SignIn),
        result.GetValue(EmulatorUser),
        result.GetValue(AllowUnencryptedCache),
        result.GetValue(Verbose));

    private static Command SetCommand(TextWriter output, TextWriter error, Func<string, string?> environment, TimeProvider time)
    {
        var user = UserArgument();
        var availability = new Argument<string>("AVAILABILITY") { Description = "Available, Busy, DoNotDisturb or Away." };
        var activity = new Argument<string>("ACTIVITY") { Description = "Available, InACall, InAConferenceCall, Presenting or Away (a pair Graph accepts)." };
        var keepAlive = new Option<bool>("--keep-alive") { Description = "Keep the state alive (refreshing before every timeout) until Ctrl+C or --for, then sign off." };
        var duration = new Option<string?>("--for") { Description = $"Keep it alive for this long, then sign off ({DurationText.Forms}); implies --keep-alive." };
        var lease = new Option<string?>("--lease") { Description = "How long Graph keeps the state if this tool stops (PT5M to PT4H; default 5 minutes)." };
        var command = new Command("set", "Set a user's presence for this app's session; with --keep-alive, keep it until Ctrl+C or --for.")
        {
            user, availability, activity, keepAlive, duration, lease,
        };
        AddCommon(command);
        command.SetAction((result, stop) => GuardAsync(error, async () =>
        {
            var state = PresenceState.Parse(result.GetValue(availability)!, result.GetValue(activity)!, PresenceProtocol.SetPresence);
            // Checked before anything is sent: a longer --for could not be timed (and nothing would sign off).
            var keepFor = result.GetValue(duration) is { } text ? DurationText.Parse(text, "--for", KeepAliveView.MaxKeepFor) : (TimeSpan?)null;
            var leaseValue = result.GetValue(lease) is { } leaseText ? DurationText.Parse(leaseText, "--lease") : (TimeSpan?)null;
            await using var connection = await CliConnection.CreateAsync(Settings(result), environment, error, o =>
            {
                if (leaseValue is { } l)
                {
                    o.Lease = l;
                }
            }, stop).ConfigureAwait(false);
            var session = connection.Manager.GetOrCreate(result.GetValue(user)!);
            if (!result.GetValue(keepAlive) && keepFor is null)
            {
                await session.SetAsync(state, stop).ConfigureAwait(false);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{session.UserId}: {state} set; Graph keeps it for {connection.Options.Lease:c} (its lease) unless refreshed. 'presence clear {session.UserId}' signs off.")).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            return await new KeepAliveView(session, state, keepFor, output, Console.IsOutputRedirected, time).RunAsync(stop).ConfigureAwait(false);
        }));
        return command;
    }

    private static Command ClearCommand(TextWriter output, TextWriter error, Func<string, string?> environment)
    {
        var user = UserArgument();
        var command = new Command("clear", "Sign this app's presence session off for a user (clearPresence): it stops counting in what others see.") { user };
        AddCommon(command);
        command.SetAction((result, stop) => GuardAsync(error, async () =>
        {
            await using var connection = await CliConnection.CreateAsync(Settings(result), environment, error, null, stop).ConfigureAwait(false);
            var userId = result.GetValue(user)!;
            await connection.Manager.SignOffAsync(userId, stop).ConfigureAwait(false);
            await output.WriteLineAsync($"{userId}: signed off").ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command StatusCommand(TextWriter output, TextWriter error, Func<string, string?> environment)
    {
        var users = new Argument<string[]>("USER") { Description = "One or more users' object ids (GUIDs; 650 are read per call), or 'me'.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("status", "Show what others see for users (getPresencesByUserId; needs Presence.Read.All), one line each.") { users };
        AddCommon(command);
        command.SetAction((result, stop) => GuardAsync(error, async () =>
        {
            await using var connection = await CliConnection.CreateAsync(Settings(result), environment, error, null, stop).ConfigureAwait(false);
            var seen = await connection.Manager.GetPresencesAsync(result.GetValue(users)!, stop).ConfigureAwait(false);
            foreach (var reading in seen)
            {
                await output.WriteLineAsync($"{reading.UserId} {reading}").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command PreferredCommand(TextWriter output, TextWriter error, Func<string, string?> environment)
    {
        var user = UserArgument();
        var availability = new Argument<string?>("AVAILABILITY") { Description = "Available, Busy, DoNotDisturb, BeRightBack, Away, or AppearOffline (Offline OffWork).", Arity = ArgumentArity.ZeroOrOne };
        var activity = new Argument<string?>("ACTIVITY") { Description = "The activity, when it differs from the availability (Offline OffWork).", Arity = ArgumentArity.ZeroOrOne };
        var duration = new Option<string?>("--for") { Description = $"How long it lasts ({DurationText.Forms}); default 1 day for Busy and DoNotDisturb, 7 days otherwise." };
        var clear = new Option<bool>("--clear") { Description = "Clear the user's preferred presence instead." };
        var command = new Command("preferred", "Set or clear a user's own preferred presence: user-level, it beats every app session (setUserPreferredPresence).")
        {
            user, availability, activity, duration, clear,
        };
        AddCommon(command);
        command.SetAction((result, stop) => GuardAsync(error, async () =>
        {
            var userId = result.GetValue(user)!;
            PreferredPresence? presence = null;
            if (!result.GetValue(clear))
            {
                var a = result.GetValue(availability) ?? throw new CliUsageException(
                    $"Give a preferred presence ({string.Join(", ", PreferredPresence.Values)}, or AppearOffline), or --clear.");
                presence = result.GetValue(activity) is { } b ? PreferredPresence.Parse(a, b) : PreferredPresence.Parse(a);
            }

            var expiration = result.GetValue(duration) is { } text ? DurationText.Parse(text, "--for") : (TimeSpan?)null;
            await using var connection = await CliConnection.CreateAsync(Settings(result), environment, error, null, stop).ConfigureAwait(false);
            var session = connection.Manager.GetOrCreate(userId);
            if (presence is null)
            {
                await session.ClearPreferredPresenceAsync(stop).ConfigureAwait(false);
                await output.WriteLineAsync($"{userId}: preferred presence cleared").ConfigureAwait(false);
            }
            else
            {
                await session.SetPreferredPresenceAsync(presence, expiration, stop).ConfigureAwait(false);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{userId}: preferred presence {presence} for {expiration ?? presence.DefaultExpiration:c}")).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command MessageCommand(TextWriter output, TextWriter error, Func<string, string?> environment, TimeProvider time)
    {
        var user = UserArgument();
        var text = new Argument<string?>("TEXT") { Description = $"The status message (plain text, at most {PresenceStatusMessage.MaxLength} characters).", Arity = ArgumentArity.ZeroOrOne };
        var duration = new Option<string?>("--for") { Description = $"Remove the message after this long ({DurationText.Forms}); default: it never expires." };
        var clear = new Option<bool>("--clear") { Description = "Clear the user's status message instead." };
        var command = new Command("message", "Set or clear a user's status message (setStatusMessage).") { user, text, duration, clear };
        AddCommon(command);
        command.SetAction((result, stop) => GuardAsync(error, async () =>
        {
            var userId = result.GetValue(user)!;
            PresenceStatusMessage? message = null;
            if (!result.GetValue(clear))
            {
                var content = result.GetValue(text) ?? throw new CliUsageException("Give the message text, or --clear.");
                var expiresAt = result.GetValue(duration) is { } d ? time.GetUtcNow() + DurationText.Parse(d, "--for") : (DateTimeOffset?)null;
                message = new PresenceStatusMessage(content, expiresAt);
            }

            await using var connection = await CliConnection.CreateAsync(Settings(result), environment, error, null, stop).ConfigureAwait(false);
            var session = connection.Manager.GetOrCreate(userId);
            if (message is null)
            {
                await session.ClearStatusMessageAsync(stop).ConfigureAwait(false);
                await output.WriteLineAsync($"{userId}: status message cleared").ConfigureAwait(false);
            }
            else
            {
                await session.SetStatusMessageAsync(message, stop).ConfigureAwait(false);
                await output.WriteLineAsync(message.ExpiresAt is { } until
                    ? string.Create(CultureInfo.InvariantCulture, $"{userId}: status message set until {until:u}")
                    : $"{userId}: status message set").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Runs a command, turning each kind of failure into its message on standard error and its exit code.</summary>
    private static async Task<int> GuardAsync(TextWriter error, Func<Task<int>> run)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CliUsageException or FormatException or ArgumentException)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }
        catch (OptionsValidationException ex)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ex.Message.Contains("No credential", StringComparison.Ordinal) ? ExitCodes.NotAuthorized : ExitCodes.InvalidInput;
        }
        catch (PresenceRequestException ex)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ex.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ExitCodes.NotAuthorized : ExitCodes.RequestFailed;
        }
        catch (Exception ex) when (ex is AuthenticationFailedException or CredentialUnavailableException)
        {
            await error.WriteLineAsync("Sign-in failed: " + ex.Message).ConfigureAwait(false);
            return ExitCodes.NotAuthorized;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("Interrupted before the request completed.").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
    }
}
