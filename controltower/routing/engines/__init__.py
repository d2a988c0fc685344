"""Solver engines behind one Plan-in, Plan-out shape: PyVRP and OR-Tools."""
