"""The GreenWhistle web app: Open311 API, staff console and health check on one port.

Run with `uvicorn bot.web.app:create_app --factory --port 8000`. Nothing connects at import or in
the factory: the store is built on the first request that needs it. Errors are answered in the
shape of the edge they hit (Open311 list, console page, plain JSON), never with a traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot import __version__, datafiles, texts
from bot.casework.attachments import MAX_FILES
from bot.casework.store import CaseStore
from bot.config import Settings, get_settings
from bot.exceptions import GreenWhistleError, StoreUnavailable
from bot.intake.handover import MAX_FILE_BYTES as MAX_TABLE_BYTES
from bot.web.channels import router as channels_router
from bot.web.console import STATIC_DIR, render_error
from bot.web.console import router as console_router
from bot.web.console.hotline import router as hotline_router
from bot.web.console.imports import router as import_router
from bot.web.console.register import router as register_router
from bot.web.deps import case_store
from bot.web.drafts import router as drafts_router
from bot.web.drafts import warm_up as warm_up_drafting
from bot.web.edges import BodyLimit, SecurityHeaders, add_security_headers
from bot.web.open311 import MAX_BODY_BYTES
from bot.web.open311 import router as open311_router
from bot.web.open311_wire import xml_document
from bot.web.public import render_error as render_public_error
from bot.web.public import router as public_router

logger = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    """Once per process, and only if nobody (uvicorn --log-config, pytest) configured it."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def _edge(request: Request) -> str:
    path = request.url.path
    if path.startswith("/open311/"):
        return "open311"
    if path == "/console" or path.startswith("/console/"):
        return "console"
    if path == "/public" or path.startswith("/public/"):
        return "public"
    return "other"


def error_response(request: Request, status_code: int, description: str) -> Response:
    """An error in the caller's dialect: Open311's `[{code, description}]` (as XML for `.xml`
    paths), an HTML page, or JSON."""
    edge = _edge(request)
    if edge == "open311":
        errors = [{"code": status_code, "description": description}]
        if request.url.path.endswith(".xml"):
            return Response(
                xml_document("errors", errors),
                status_code,
                media_type="application/xml; charset=utf-8",
            )
        return JSONResponse(errors, status_code)
    if edge == "console":
        return render_error(request, status_code, description)
    if edge == "public":
        return render_public_error(request, status_code, description)
    return JSONResponse({"error": {"code": status_code, "description": description}}, status_code)


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GreenWhistleError)
    status_code = exc.http_status
    if isinstance(exc, StoreUnavailable):
        # The driver's message stays in our log; the client gets a reason, not internals.
        logger.error("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return error_response(request, status_code, texts.text("staff", "console.app.store_down"))
    if status_code >= 500:
        logger.error("%s on %s %s", type(exc).__name__, request.method, request.url.path)
        return error_response(
            request, status_code, texts.text("staff", "console.app.internal_error")
        )
    return error_response(request, status_code, str(exc) or type(exc).__name__)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _edge(request) == "public" and exc.status_code == 404:
        return error_response(request, 404, texts.text("citizen", "public.errors.not_found"))
    if _edge(request) != "other":
        return error_response(request, exc.status_code, str(exc.detail))
    return await http_exception_handler(request, exc)


async def _on_invalid_request(request: Request, exc: Exception) -> Response:
    """Open311 and the console answer 400 with a readable reason, the public pages 400 with a
    plain one (never the input echoed); elsewhere FastAPI's 422."""
    assert isinstance(exc, RequestValidationError)
    if _edge(request) == "public":
        return error_response(request, 400, texts.text("citizen", "public.errors.bad_request"))
    if _edge(request) != "other":
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ())[1:]) or 'request'}: {err.get('msg')}"
            for err in exc.errors()
        )
        message = texts.text("staff", "console.app.invalid_request", reasons=reasons)
        return error_response(request, 400, message)
    return await request_validation_exception_handler(request, exc)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    response = error_response(request, 500, texts.text("staff", "console.app.internal_error"))
    # Starlette answers this one outside the middleware stack, so it gets its headers here.
    add_security_headers(response.headers)
    return response


def create_app(store: CaseStore | None = None, settings: Settings | None = None) -> FastAPI:
    """Builds the app; `store`/`settings` are for tests, otherwise both come from the environment."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    texts.check_all()  # a broken catalogue or data file stops the app at start-up, with file and line
    datafiles.check_all()
    app = FastAPI(
        title=texts.text("staff", "console.app.title"),
        version=__version__,
    )
    app.state.settings = settings
    app.state.store = store  # None: bot.casework.store.get_store() on first use

    app.add_exception_handler(GreenWhistleError, _on_domain_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_invalid_request)
    app.add_exception_handler(Exception, _on_unexpected)
    # The last added runs first: headers go on everything, the 413s of the body limit included.
    # The console's uploads: files staff attach to a registration, and hand-over tables. Each
    # file is checked again on its own (size, type) with a reason staff understand.
    uploads = [
        ("/console/register", settings.max_evidence_bytes * MAX_FILES + 1024 * 1024),
        ("/console/import", MAX_TABLE_BYTES + 1024 * 1024),
    ]
    app.add_middleware(BodyLimit, limits=[("/open311/", MAX_BODY_BYTES), *uploads])
    app.add_middleware(SecurityHeaders)

    app.include_router(open311_router)
    app.include_router(channels_router)
    app.include_router(drafts_router)
    app.include_router(console_router)
    app.include_router(hotline_router)
    app.include_router(register_router)
    app.include_router(import_router)
    if store is None:
        warm_up_drafting()
    app.include_router(public_router)
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/console")

    @app.get("/healthz")
    def healthz(request: Request) -> JSONResponse:
        """200 when the ledger answers, 503 (`degraded`) when it does not: for `make run` and probes."""
        try:
            ok = case_store(request).ping()
        except StoreUnavailable:
            ok = False
        return JSONResponse(
            {"status": "ok" if ok else "degraded", "database": ok},
            status_code=200 if ok else 503,
        )

    return app
