"""The app's widgets: one module per widget; the machine's panes are in ``panes/``."""
