"""dispatch layer (see ARCHITECTURE.md)."""
