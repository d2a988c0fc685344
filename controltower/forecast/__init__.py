"""Demand forecast: daily orders per delivery zone and option from the store's history, with a holiday calendar,
recurring deliveries as known demand and backtested, calibrated intervals. No Qt; the service is services/forecast.py."""
