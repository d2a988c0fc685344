"""Orders in and data out: spreadsheet imports with profiles and checks, shop integrations, exports. No Qt."""
from .assemble import ImportCancelled, Prepared, RowProblem, prepare  # noqa: F401
from ..exports.tables import export, neutralise, write_table  # noqa: F401
from .importer import ImportReport, import_file, import_table, save_prepared, write_rejects  # noqa: F401
from .profiles import BUILT_IN, GENERIC, SHOPIFY, WOOCOMMERCE, ImportProfile, guess_profile, load_profile, save_profile  # noqa: F401
from .reading import Table, read_table  # noqa: F401
