"""The local API (HTTP on 127.0.0.1 for the shop's other tools) and webhooks out: both over the same services as the UI."""
