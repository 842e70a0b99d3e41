Console.WriteLine("PresenceKeepAlive benchmarks: not built yet.");
