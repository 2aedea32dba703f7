"""The app's example prompts, configs, scenarios, variants and icons.

This folder ships inside the package as `console.assets` (see pyproject.toml and
setup.py); read its files with `console.resources.asset()`.
"""
