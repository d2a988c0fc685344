"""Own fleet: the shop's own vans and drivers, a built-in carrier with no network."""
