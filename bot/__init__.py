"""GreenWhistle (绿哨): case store, extraction, routing and staff console for environmental complaints."""

__version__ = "0.1.0"
