namespace PresenceKeepAlive.Cli;

/// <summary>The exit codes of <c>presence</c>; scripts rely on them, so they never change meaning.</summary>
internal static class ExitCodes
{
    /// <summary>Done; also after Ctrl+C (or the end of <c>--for</c>) signed a kept-alive session off.</summary>
    public const int Success = 0;

    /// <summary>Graph (or the network) did not accept a request: the message says which and why.</summary>
    public const int RequestFailed = 1;

    /// <summary>Invalid input: an unknown command or option, a pair Graph does not accept, a bad user id or duration. Nothing was sent.</summary>
    public const int InvalidInput = 2;

    /// <summary>Not signed in or not allowed: no credential, sign-in failed, or Graph answered 401/403 (a missing permission).</summary>
    public const int NotAuthorized = 3;

    /// <summary>Kept alive until stopped, but the sign-off failed: the state stays until its lease ends.</summary>
    public const int SignOffFailed = 4;

    /// <summary>A one-shot command was interrupted (Ctrl+C) before it completed.</summary>
    public const int Interrupted = 130;
}
