"""DoorDash Drive v2: on-demand Dashers (quotes, accept, deliveries keyed by our external_delivery_id). Access by application."""
