Console.WriteLine("PresenceKeepAlive sample: not built yet.");
