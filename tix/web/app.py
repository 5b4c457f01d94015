"""``create_app(settings)``: the FastAPI application behind ``tix serve``.

/api/v1/   the REST API (OpenAPI at /api/v1/docs), for scripts and other systems
/form/     the web form endpoint a company's own web site posts to
/portal/   the customer portal (HTML, Jinja2)

Every request gets its own database session through :mod:`tix.web.deps`, where the
routers take all they need (never from this module); routes call the core services,
never SQL. TixErrors become the right 4xx with a clear message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine

from tix import __version__
from tix.core import errors
from tix.core.config import Settings
from tix.core.db import check_schema, engine_for
from tix.web.deps import status_for

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
PORTAL_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline' https:; "
    "script-src 'self' 'unsafe-inline' https:; frame-ancestors 'none'"
)


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """The web application on ``settings``' database (or ``engine``)."""
    engine = engine or engine_for(settings)
    check_schema(engine)
    app = FastAPI(
        title="tix",
        version=__version__,
        description="The tix helpdesk: tickets from the web, for scripts and web sites.",
        docs_url="/api/v1/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.secure_cookies = settings.portal_url.lower().startswith("https://")

    @app.exception_handler(errors.TixError)
    async def tix_error(request: Request, error: errors.TixError) -> Response:
        if request.url.path.startswith("/portal"):
            from tix.web.portal import error_page

            page: Response = error_page(request, error, status_for(error))
            return page
        return JSONResponse(
            {"error": {"code": error.code, "message": error.message}},
            status_code=status_for(error),
        )

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        path = request.url.path
        csp = DOCS_CSP if path.startswith("/api/v1/docs") else PORTAL_CSP
        response.headers.setdefault("Content-Security-Policy", csp)
        if app.state.secure_cookies:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response

    from tix.web import api, portal, webform

    app.include_router(api.router, prefix="/api/v1")
    app.include_router(webform.router, prefix="/form")
    app.include_router(portal.router, prefix="/portal")
    portal.mount_static(app)

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        from fastapi.responses import RedirectResponse

        return RedirectResponse("/portal/", status_code=303)

    return app


def app_from_environment() -> FastAPI:
    """The app for uvicorn's worker processes (``tix serve --workers N``)."""
    from tix.core.config import load_settings

    return create_app(load_settings())
