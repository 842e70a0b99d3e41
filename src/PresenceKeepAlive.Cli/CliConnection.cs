using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PresenceKeepAlive.Cli;

/// <summary>The library, set up the way an application would: <c>AddPresenceSession</c> over a service provider.</summary>
internal sealed class CliConnection : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private CliConnection(ServiceProvider provider, IPresenceSessionManager manager, PresenceKeepAliveOptions options)
    {
        _provider = provider;
        Manager = manager;
        Options = options;
    }

    public IPresenceSessionManager Manager { get; }

    public PresenceKeepAliveOptions Options { get; }

    /// <summary>Builds the connection; signs in first with <see cref="CliSettings.SignIn"/>.</summary>
    /// <exception cref="CliUsageException">A setting is missing or cannot be used.</exception>
    /// <exception cref="OptionsValidationException">The library refused the settings (the message says why).</exception>
    public static async Task<CliConnection> CreateAsync(
        CliSettings settings, Func<string, string?> environment, TextWriter error, Action<PresenceKeepAliveOptions>? configure, CancellationToken cancellationToken)
    {
        var baseUrl = settings.BaseUrl ?? environment("PRESENCE_BASE_URL") ?? PresenceKeepAliveOptions.GraphV1BaseUrl;
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var baseUri))
        {
            throw new CliUsageException($"--base-url '{baseUrl}' is not an absolute URL, for example {PresenceKeepAliveOptions.GraphV1BaseUrl} or http://127.0.0.1:5080/v1.0.");
        }

        var loopback = baseUri.IsLoopback;
        var clientId = settings.ClientId ?? environment("PRESENCE_CLIENT_ID") ?? environment("AZURE_CLIENT_ID")
            ?? (loopback ? CliSettings.EmulatorClientId : throw new CliUsageException(
                "A client id is required for Microsoft Graph: pass --client-id or set PRESENCE_CLIENT_ID to the app registration's Application (client) ID."));
        var tenantId = settings.TenantId ?? environment("PRESENCE_TENANT_ID") ?? environment("AZURE_TENANT_ID");

        TokenCredential? credential = null;
        if (settings.EmulatorUser is { } user)
        {
            if (!loopback)
            {
                throw new CliUsageException("--emulator-user works only against a loopback emulator (--base-url http://127.0.0.1:PORT/v1.0); for Graph use --sign-in.");
            }

            credential = new EmulatorUserCredential(user, clientId, TimeProvider.System);
        }
        else if (settings.SignIn is { } flow)
        {
            if (flow is not (DelegatedSignIn.DeviceCode or DelegatedSignIn.Browser))
            {
                throw new CliUsageException($"--sign-in '{flow}' is not a sign-in flow: use {DelegatedSignIn.DeviceCode} or {DelegatedSignIn.Browser}.");
            }

            var scope = baseUri.GetLeftPart(UriPartial.Authority) + "/.default";
            credential = await DelegatedSignIn.SignInAsync(flow, clientId, tenantId, scope, settings.AllowUnencryptedCache, error, cancellationToken).ConfigureAwait(false);
        }

        var services = new ServiceCollection();
        services.AddLogging(logging => logging
            .ClearProviders()
            .SetMinimumLevel(settings.Verbose ? LogLevel.Debug : LogLevel.Warning)
            .AddProvider(new StderrLoggerProvider(error, settings.Verbose ? LogLevel.Debug : LogLevel.Warning)));
        services.AddPresenceSession(o =>
        {
            o.BaseUrl = baseUrl;
            o.ClientId = clientId;
            o.TenantId = tenantId;
            o.ClientSecret = environment("PRESENCE_CLIENT_SECRET") ?? environment("AZURE_CLIENT_SECRET");
            o.CertificatePath = settings.CertificatePath ?? environment("PRESENCE_CERTIFICATE_PATH");
            o.CertificatePassword = environment("PRESENCE_CERTIFICATE_PASSWORD");
            o.Credential = credential;

            // The tool signs off itself, when and only when the command says so.
            o.SignOffOnDispose = false;
            o.SignOffOnStop = false;
            configure?.Invoke(o);
        });
        var provider = services.BuildServiceProvider();
        try
        {
            // Reading the options runs the library's validation now, before anything is sent.
            var options = provider.GetRequiredService<IOptions<PresenceKeepAliveOptions>>().Value;
            return new CliConnection(provider, provider.GetRequiredService<IPresenceSessionManager>(), options);
        }
        catch
        {
            await provider.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}

/// <summary>A command line that cannot work as given; exit code <see cref="ExitCodes.InvalidInput"/>.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
