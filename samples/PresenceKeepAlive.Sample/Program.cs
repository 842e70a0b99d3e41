// The PresenceKeepAlive sample: a Generic Host worker that keeps users' Teams presence alive.
//
// With no PresenceKeepAlive configuration it runs a one-minute demo on the embedded Graph presence emulator
// (no tenant, no network): presence kept alive, an outage survived, a session left to fade, and a clean sign-off.
// With configuration (a real tenant, or BaseUrl pointing at an emulator you started) it keeps the configured
// users' presence alive until Ctrl+C and then signs them off.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PresenceKeepAlive;
using PresenceKeepAlive.Emulator;
using PresenceKeepAlive.Sample;

// The content root is the build output, so appsettings.json is found wherever `dotnet run` is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});
var section = builder.Configuration.GetSection(PresenceKeepAliveOptions.SectionName);
var demo = string.IsNullOrEmpty(section["ClientId"]) && string.IsNullOrEmpty(section["BaseUrl"]);

PresenceEmulator? emulator = null;
if (demo)
{
    emulator = await PresenceEmulator.StartAsync(new PresenceEmulatorOptions { TimeScale = Demo.TimeScale });
    builder.Configuration.AddInMemoryCollection(Demo.Settings(emulator.GraphV1Url));
    builder.Services.AddSingleton(emulator);
    builder.Services.AddSingleton<DemoReport>();
    builder.Services.AddHostedService<DemoScript>();
    Console.WriteLine($"No PresenceKeepAlive configuration: running the demo on the embedded emulator at {emulator.GraphV1Url}");
    Console.WriteLine($"Time scale: one emulated minute lasts {60 / Demo.TimeScale:0.##} s, so Graph's 5-minute timeout lasts 5 s.");
}

// This is all a worker needs: bind the section, and the hosted service sets the configured sessions on start,
// keeps them alive, and signs them off on stop.
builder.Services.AddPresenceSession(section);

if (!demo)
{
    builder.Services.AddHostedService<LiveView>();
}

var host = builder.Build();
var report = host.Services.GetService<DemoReport>();
await host.RunAsync(); // Runs until Ctrl+C, or until the demo script stops the host; then disposes it.

if (emulator is null)
{
    return 0;
}

await using (emulator)
{
    return Demo.Finish(emulator, report);
}
