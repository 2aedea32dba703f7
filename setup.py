"""Packaging beside pyproject.toml for the one thing it cannot say: the repository's
top-level `assets/` folder ships inside the package as `console.assets` (package data
read with importlib.resources; see console/resources.py). Everything else about the
package is in pyproject.toml."""

from setuptools import find_namespace_packages, find_packages, setup

ASSET_PACKAGES = ["console.assets"] + [
    f"console.assets.{name}"
    for name in find_namespace_packages(where="assets")
    if "__pycache__" not in name
]

setup(
    packages=find_packages(include=["console", "console.*"]) + ASSET_PACKAGES,
    package_dir={"console.assets": "assets"},
)
