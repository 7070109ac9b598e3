"""The vocabulary every layer shares: errors, models, provider contracts, clock, codes.

This package is the leaf of the house: it imports nothing else from otpcli.
"""
