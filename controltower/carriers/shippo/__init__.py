"""Shippo: parcel labels across many carriers (rates, transactions, tracks, refunds, returns)."""
