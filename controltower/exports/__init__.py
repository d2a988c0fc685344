"""Orders, shipments, routes, exceptions and KPIs out to CSV and Excel (formulas neutralised)."""
