"""Micro-ETAs: the route-based ETA for every remaining stop, and a learned correction."""
