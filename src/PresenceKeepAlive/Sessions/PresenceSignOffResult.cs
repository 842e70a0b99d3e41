namespace PresenceKeepAlive;

/// <summary>The outcome of <see cref="IPresenceSessionManager.SignOffAllAsync"/>.</summary>
public sealed class PresenceSignOffResult
{
    /// <summary>Initializes a new instance of the <see cref="PresenceSignOffResult"/> class.</summary>
    /// <param name="signedOff">The users signed off.</param>
    /// <param name="failed">The users not signed off, with the reason.</param>
    public PresenceSignOffResult(IReadOnlyList<string> signedOff, IReadOnlyDictionary<string, Exception> failed)
    {
        ArgumentNullException.ThrowIfNull(signedOff);
        ArgumentNullException.ThrowIfNull(failed);
        SignedOff = signedOff;
        Failed = failed;
    }

    /// <summary>Gets the users signed off.</summary>
    public IReadOnlyList<string> SignedOff { get; }

    /// <summary>Gets the users not signed off, with the reason (a <see cref="PresenceRequestException"/> or <see cref="OperationCanceledException"/>).</summary>
    public IReadOnlyDictionary<string, Exception> Failed { get; }
}
