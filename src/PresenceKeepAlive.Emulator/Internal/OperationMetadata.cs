namespace PresenceKeepAlive.Emulator.Internal;

/// <summary>Endpoint metadata naming the Graph operation, read by the middleware before the endpoint runs.</summary>
internal sealed class OperationMetadata(EmulatorOperation operation)
{
    public EmulatorOperation Operation { get; } = operation;
}
