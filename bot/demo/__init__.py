"""`coach demo`: a simulated team learning with the real store, engine and dispatcher."""
