using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>Builds the Kestrel web application that serves one emulator.</summary>
internal static class EmulatorHost
{
    /// <summary>Parses <see cref="PresenceEmulatorOptions.Host"/> and enforces the loopback rule.</summary>
    public static IPAddress ResolveAddress(PresenceEmulatorOptions options)
    {
        IPAddress address;
        if (string.Equals(options.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(options.Host, out address!))
        {
            throw new ArgumentException($"Host '{options.Host}' must be an IP address or 'localhost'.", nameof(options));
        }

        if (!IPAddress.IsLoopback(address) && !options.AllowNonLoopback)
        {
            throw new ArgumentException(
                $"Host '{options.Host}' is not a loopback address; set AllowNonLoopback to expose the emulator (it has no real security).",
                nameof(options));
        }

        return address;
    }

    public static WebApplication Build(EmulatorCore core, IPAddress address)
    {
        var options = core.Options;

        // The empty builder reads no appsettings or environment variables, so the emulator behaves the same wherever it runs.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(EmulatorHost).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, options.Port);
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Logging.ClearProviders();
        if (options.MinimumLogLevel != LogLevel.None)
        {
            builder.Logging.SetMinimumLevel(options.MinimumLogLevel);

            // ASP.NET Core logs every request at Information; keep that noise out unless Debug or Trace is asked for.
            var aspNetCoreLevel = options.MinimumLogLevel <= LogLevel.Debug || options.MinimumLogLevel > LogLevel.Warning
                ? options.MinimumLogLevel
                : LogLevel.Warning;
            builder.Logging.AddFilter("Microsoft.AspNetCore", aspNetCoreLevel);

            // A failed start (a port in use, say) is thrown to StartAsync's caller; the host's own Error log of it, a
            // whole stack trace on one line, would only say the same again. Debug or Trace still shows it.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", options.MinimumLogLevel <= LogLevel.Debug ? options.MinimumLogLevel : LogLevel.Critical);

            builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        }

        var app = builder.Build();
        var middleware = new GraphMiddleware(core, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<PresenceEmulator>());
        app.Use(middleware.InvokeAsync);

        var graph = new GraphEndpoints(core);
        graph.Map(app, "/v1.0");
        graph.Map(app, "/beta");
        new AdminEndpoints(core).Map(app);
        return app;
    }
}
