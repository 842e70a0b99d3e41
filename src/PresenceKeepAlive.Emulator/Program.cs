Console.WriteLine("PresenceKeepAlive emulator: not built yet.");
