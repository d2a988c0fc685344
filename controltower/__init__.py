"""Control Tower: a local-first last-mile delivery control tower."""
__version__ = "0.1.0"
