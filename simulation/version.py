"""The package version (quoted in the reports' provenance; `simulation.__version__`)."""

__version__ = "0.1.0"
