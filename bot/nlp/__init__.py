"""Pure text work (extraction, transcript parsing, phone masking): no SQLAlchemy or pydantic 2, so both environments import it.

Except `bot.nlp.pipeline`, the extraction as a spaCy 3.8 pipeline, which only the app environment
has (Rasa pins spaCy < 3.5); the import contracts keep the rest of the package off it."""
