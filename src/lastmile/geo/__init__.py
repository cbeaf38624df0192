"""geo layer (see ARCHITECTURE.md)."""
