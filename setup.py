# Kept for tools that still look for setup.py (Dagster's project templates do); the project is
# described in pyproject.toml.
from setuptools import setup

setup()
