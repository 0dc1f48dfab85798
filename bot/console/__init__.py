"""Staff console (工作台): HTML pages over the case store. Login and roles come later."""

from bot.console.views import STATIC_DIR, render_error, router

__all__ = ["STATIC_DIR", "render_error", "router"]
