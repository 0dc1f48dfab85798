"""Pure text work (extraction, transcript parsing, phone masking): no SQLAlchemy or pydantic 2, so both environments import it."""
