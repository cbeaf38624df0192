"""planning layer (see ARCHITECTURE.md)."""
