using PresenceKeepAlive.Http.Internal;
using PresenceKeepAlive.KeepAlive.Internal;

namespace PresenceKeepAlive.Sessions.Internal;

/// <summary>
/// A one-shot request (preferred presence, status message, a read) sent through the engine like a state change: the
/// scheduler dispatches it when the app's gate has a place and reserves that place for its first attempt, so it is
/// budgeted and counted like every other request, and goes ahead of refreshes. Nothing keeps it alive.
/// </summary>
/// <remarks>
/// As a state change it is not held by <see cref="KeepAliveScheduler.HoldUntil"/> (a 429's hold applies to refreshes and
/// retries): holding it would need its own queue in the scheduler, since a held item at the head of the state-change
/// queue would hold the state changes behind it. A one-shot refused with 429 fails to its caller with the Retry-After.
/// </remarks>
internal sealed class OneShotWork : IScheduledWork
{
    private const long Queued = 1;
    private const long Cancelled = 0;
    private const long Running = 2;

    private readonly Func<CancellationToken, Task> _operation;
    private readonly CancellationToken _callerToken;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _token = Queued;

    private OneShotWork(Func<CancellationToken, Task> operation, CancellationToken callerToken)
    {
        _operation = operation;
        _callerToken = callerToken;
    }

    long IScheduledWork.ScheduleToken => Interlocked.Read(ref _token);

    /// <summary>Queues <paramref name="operation"/> on <paramref name="scheduler"/> and completes when it has run.</summary>
    /// <exception cref="ObjectDisposedException">The engine has stopped.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before or while the request ran.</exception>
    public static async Task RunAsync(KeepAliveScheduler scheduler, Func<CancellationToken, Task> operation, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var work = new OneShotWork(operation, cancellationToken);
        var now = scheduler.NowTicks;
        if (!scheduler.Schedule(work, Queued, WorkPriority.StateChange, now, now))
        {
            throw new ObjectDisposedException(nameof(IPresenceSessionManager), "The presence session manager has stopped: nothing was sent.");
        }

        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.Register(static s => ((OneShotWork)s!).CancelQueued(), work)
            : default;
        scheduler.Pump();
        await work._done.Task.ConfigureAwait(false);
    }

    async Task IScheduledWork.RunAsync(long token, WorkPriority priority, SendTicket ticket, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _token, Running, Queued) != Queued)
        {
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _callerToken);
        PresenceSendScope.Begin(ticket);
        try
        {
            await _operation(linked.Token).ConfigureAwait(false);
            _done.TrySetResult();
        }
        catch (OperationCanceledException) when (_callerToken.IsCancellationRequested)
        {
            _done.TrySetCanceled(_callerToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _done.TrySetException(new ObjectDisposedException(nameof(IPresenceSessionManager), "The presence session manager stopped while the request was in flight."));
        }
        catch (Exception ex)
        {
            _done.TrySetException(ex);
        }
        finally
        {
            PresenceSendScope.Begin(null);
        }
    }

    void IScheduledWork.OnDeadlinePassed(long token)
    {
        // Queued as a state change: never watched for a deadline.
    }

    private void CancelQueued()
    {
        // Only a request not yet dispatched is withdrawn here; one in flight is cancelled through the linked token.
        if (Interlocked.CompareExchange(ref _token, Cancelled, Queued) == Queued)
        {
            _done.TrySetCanceled(_callerToken);
        }
    }
}
