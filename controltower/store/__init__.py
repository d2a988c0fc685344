"""The local store: one SQLite file with a versioned schema. No Qt."""
from .db import Database, connect, default_path  # noqa: F401
from .migrations import SchemaTooNew, latest_version  # noqa: F401
