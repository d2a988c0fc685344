"""National posts and parcel carriers (UPS, USPS, FedEx, DHL, Canada Post…) through the karrio library.

Optional: install with `pip install controltower[karrio]` plus the carrier extensions wanted
(`karrio-ups`, `karrio-usps`, …). karrio is synchronous and may run an event loop of its own, so
every call runs in a worker thread under a timeout of ours, never on the Qt/asyncio loop.
"""
