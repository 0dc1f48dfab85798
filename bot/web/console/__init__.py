"""Staff console (工作台): login with roles, the ledger, issue handling, exports and reports."""

from bot.web.console import reports as _reports  # noqa: F401  (registers its pages on the router)
from bot.web.console.views import STATIC_DIR, render_error, router

__all__ = ["STATIC_DIR", "render_error", "router"]
