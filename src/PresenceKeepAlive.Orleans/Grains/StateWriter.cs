namespace PresenceKeepAlive.Orleans.Grains;

/// <summary>
/// Writes a reentrant grain's state one write at a time, the latest state each time: a caller changes the state in its
/// turn, then awaits <see cref="SaveAsync"/>, which completes once a write that started after the change has succeeded.
/// Changes made while a write is in flight go out together in the next one. Not thread-safe: grain turns never run at once.
/// </summary>
internal sealed class StateWriter(Func<Task> write)
{
    private long _changes;
    private long _saved;
    private Task? _writing;

    public async Task SaveAsync()
    {
        var mine = ++_changes;
        while (_saved < mine)
        {
            if (_writing is null || _writing.IsCompleted)
            {
                _writing = WriteLoopAsync();
            }

            await _writing;
        }
    }

    private async Task WriteLoopAsync()
    {
        while (_saved < _changes)
        {
            var upTo = _changes;
            await write();
            _saved = upTo;
        }
    }
}
