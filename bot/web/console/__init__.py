"""Staff console (工作台): login with roles, the ledger, issue handling, exports and reports.

Importing the package registers every page on `router` (each module adds its own routes).
"""

from bot.web.console import (  # noqa: F401  (each registers its pages on the router)
    actions,
    audit,
    callbacks,
    disclosure,
    exports,
    issue,
    listing,
    reports,
    session,
)
from bot.web.console.pages import STATIC_DIR, render_error, router

__all__ = ["STATIC_DIR", "render_error", "router"]
