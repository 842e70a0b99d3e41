using PresenceKeepAlive.WebSample;

// A phone system posts call events here; each becomes the caller's Teams presence, kept alive until the next event.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddPresenceSession(builder.Configuration.GetSection("PresenceKeepAlive"));
builder.Services.AddHealthChecks().AddPresenceKeepAlive();

var app = builder.Build();
app.MapCallEvents();
app.MapHealthChecks("/health");
app.Run();
