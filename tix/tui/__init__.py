"""The terminal UI (Textual): the ticket list and the tabbed ticket view."""
