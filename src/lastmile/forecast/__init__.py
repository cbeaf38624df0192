"""forecast layer (see ARCHITECTURE.md)."""
