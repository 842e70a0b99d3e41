namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>
/// Delivers one session's status events one at a time and in the order its transitions raised them, whichever threads
/// raise them. Events are enqueued under the session's lock (so their order is the transitions' order) and delivered
/// after it by whichever thread finds no delivery running.
/// </summary>
internal sealed class SessionEventQueue
{
    private readonly Queue<PresenceSessionStatusChangedEventArgs> _pending = new(2);
    private bool _delivering;

    /// <summary>Queues an event. Call under the session's lock.</summary>
    public void Enqueue(PresenceSessionStatusChangedEventArgs e)
    {
        lock (_pending)
        {
            _pending.Enqueue(e);
        }
    }

    /// <summary>Gets a value indicating whether nothing is queued or being delivered (the session may then drop the queue).</summary>
    public bool IsIdle
    {
        get
        {
            lock (_pending)
            {
                return !_delivering && _pending.Count == 0;
            }
        }
    }

    /// <summary>Delivers queued events in order unless another thread is delivering (it will deliver these too).</summary>
    public void Deliver(Action<PresenceSessionStatusChangedEventArgs> raise)
    {
        while (true)
        {
            PresenceSessionStatusChangedEventArgs next;
            lock (_pending)
            {
                if (_delivering || !_pending.TryDequeue(out next!))
                {
                    return;
                }

                _delivering = true;
            }

            try
            {
                raise(next);
            }
            finally
            {
                lock (_pending)
                {
                    _delivering = false;
                }
            }
        }
    }
}
