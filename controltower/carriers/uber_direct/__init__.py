"""Uber Direct: on-demand couriers (quotes, deliveries with idempotency keys, status, cancel, proof of delivery)."""
