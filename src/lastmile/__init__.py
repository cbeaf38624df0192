"""lastmile: open-source last-mile delivery management."""

__version__ = "0.1.0"
