"""The package version, kept apart so submodules can import it during package init."""

__version__ = "0.1.0"
