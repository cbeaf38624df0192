"""notify layer (see ARCHITECTURE.md)."""
