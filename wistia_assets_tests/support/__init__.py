"""Helpers shared by test modules (fixtures live in conftest.py); not tests themselves."""
