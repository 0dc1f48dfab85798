"""The app (FastAPI): Open311, the staff console and the internal channel API."""
