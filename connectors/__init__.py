"""Input channels of the Rasa server (WeChat, hotline). Runs in .venv-rasa; never imports the
case store (bot.casework.store / bot.casework.models / SQLAlchemy): the app is reached over HTTP."""
