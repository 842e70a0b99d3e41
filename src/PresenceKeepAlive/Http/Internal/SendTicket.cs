using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>
/// One send (a set, refresh, retry or sign-off of one session) on its way through the HTTP pipeline. Every attempt
/// of the send calls <see cref="TryEnterAttempt"/> as it leaves: the first takes the place the scheduler reserved
/// when it dispatched the send, each retry takes a free place of its own, or is not sent.
/// </summary>
internal sealed class SendTicket
{
    private readonly RequestGate? _gate;
    private int _reserved;
    private int _attempts;

    /// <summary>Initializes a ticket.</summary>
    /// <param name="gate">The app's gate, or <see langword="null"/> for a send that is not budgeted (tests).</param>
    /// <param name="reserved">Whether the scheduler reserved a place in <paramref name="gate"/> for the first attempt.</param>
    /// <param name="retriesAllowed">Whether the HTTP pipeline may retry within this send (not while the whole fleet is failing).</param>
    /// <param name="started">The <see cref="TimeProvider.GetTimestamp"/> at which the send started.</param>
    public SendTicket(RequestGate? gate, bool reserved, bool retriesAllowed, long started)
    {
        _gate = gate;
        _reserved = reserved && gate is not null ? 1 : 0;
        RetriesAllowed = retriesAllowed;
        Started = started;
    }

    /// <summary>Gets a value indicating whether the HTTP pipeline may retry within this send.</summary>
    public bool RetriesAllowed { get; }

    /// <summary>Gets the <see cref="TimeProvider.GetTimestamp"/> at which the send started.</summary>
    public long Started { get; }

    /// <summary>Gets how many attempts of this send have left the process.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Lets one attempt of this send leave now, through the app's gate.</summary>
    /// <returns><see langword="false"/> when the attempt must not be sent: the app's budget has no place for it now.</returns>
    public bool TryEnterAttempt()
    {
        if (_gate is not null)
        {
            var reserved = Interlocked.Exchange(ref _reserved, 0) == 1;
            if (!_gate.TryEnter(reserved))
            {
                return false;
            }
        }

        Interlocked.Increment(ref _attempts);
        return true;
    }

    /// <summary>Ends the send: gives back the reservation if no attempt used it. Idempotent.</summary>
    public void Complete()
    {
        if (Interlocked.Exchange(ref _reserved, 0) == 1)
        {
            _gate!.Release();
        }
    }
}
