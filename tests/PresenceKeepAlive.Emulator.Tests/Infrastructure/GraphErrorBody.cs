namespace PresenceKeepAlive.Emulator.Tests.Infrastructure;

internal sealed record GraphErrorBody(string Code, string Message, string Date, string RequestId, string ClientRequestId);
