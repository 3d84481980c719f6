"""The explorer's web application: routes, rendering, downloads and errors.

Starlette serves four pages and their downloads; every page is a plain HTML document with forms
and links (its state in the address), drawn on the server, so it needs no script. Handlers are
plain functions, which Starlette runs in its thread pool; the store's engine is shared.

    /                           overview            /overview/PANEL.csv|json
    /explore?q=…&tag=…          explore             /explore/PANEL.csv|json
    /story?id=N                 one story           /story/PANEL.csv|json
    /source?key=K               one outlet          /source/PANEL.csv|json
    /static/explorer.css        the stylesheet
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from borderwatch.digest.compose import clean_text, safe_url
from borderwatch.explorer import views
from borderwatch.explorer.charts import meter
from borderwatch.explorer.pages import BUILDERS, FETCH_PAGES, NotFound
from borderwatch.explorer.params import ParamError
from borderwatch.explorer.security import AccessMiddleware, Credentials
from borderwatch.explorer.state import Explorer
from borderwatch.reports.output import render

log = logging.getLogger("borderwatch.explorer")

_PANEL = re.compile(r"^[a-z]{1,20}$")
_FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}


def _number(value: Any) -> str:
    """A number with its thousands grouped, whole ones without decimals; empty when missing."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def _cell(value: Any) -> str:
    """A value of a report table as the page shows it (numbers grouped, dates ISO)."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if value is None or (not isinstance(value, str | dt.date) and pd.isna(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | float) or value is None:
        return _number(value)
    return clean_text(value, 600)


def _long_day(value: dt.date | None) -> str:
    return "" if value is None else f"{value.day} {value:%b %Y}"


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("borderwatch.explorer", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        clean=lambda v, limit=400: clean_text(v, limit),
        link=safe_url,
        num=_number,
        cell=_cell,
        day=_long_day,
        pct=lambda v: "" if v is None or v != v else f"{float(v):.1f}%",
    )
    env.globals["label"] = lambda tag: "all relevant" if tag == "*" else tag
    env.globals["meter"] = meter
    return env


class ExplorerApp:
    """The routes' handlers around one ``Explorer``."""

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer
        self.env = environment()

    # -- pages --------------------------------------------------------------------------------
    def page(self, name: str) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            return self._guarded(request, lambda: self._page(name, request), html=True)

        return handler

    def _page(self, name: str, request: Request) -> Response:
        # A page is drawn once for the current state of the data, like the reports it shows:
        # the readers after the first get the same document (see Explorer.kept).
        drawn, (status, body) = self.explorer.kept(
            ("page", name, request.url.query),
            lambda: self._draw(name, request),
            reads_fetches=name in FETCH_PAGES,
        )
        headers = {"x-borderwatch-page": "drawn" if drawn else "kept"}
        return HTMLResponse(body, status_code=status, headers=headers)

    def _draw(self, name: str, request: Request) -> tuple[int, str]:
        page = BUILDERS[name](self.explorer, request.query_params)
        if page.status == 200:
            page.build_all(self.explorer)
        context = views.context(self.explorer, page)
        response = self._html(f"{name}.html", page.status, page=page, **context)
        return page.status, bytes(response.body).decode("utf-8")

    # -- downloads ----------------------------------------------------------------------------
    def download(self, request: Request) -> Response:
        return self._guarded(request, lambda: self._download(request), html=False)

    def _download(self, request: Request) -> Response:
        name = request.path_params["page"]
        panel_name, fmt = request.path_params["panel"], request.path_params["fmt"]
        if name not in BUILDERS or fmt not in _FORMATS or not _PANEL.match(panel_name):
            raise NotFound("no such download")
        page = BUILDERS[name](self.explorer, request.query_params)
        if page.query_error is not None:
            raise ParamError(str(page.query_error))
        if page.error:
            raise ParamError(page.error)
        panel = page.panels.get(panel_name)
        if panel is None:
            raise NotFound(
                f"the {name} page has no table {panel_name!r}; it has " + ", ".join(page.panels)
            )
        report = panel.build(self.explorer)
        stamp = page.period.until.isoformat() if page.period else dt.date.today().isoformat()
        filename = f"borderwatch-{name}-{panel_name}-{stamp}.{fmt}"
        return Response(
            render(report.frame, fmt),
            media_type=_FORMATS[fmt],
            headers={
                "content-disposition": f'attachment; filename="{filename}"',
                # The command that prints the same table, percent-encoded (headers are ASCII).
                "x-borderwatch-command": quote(panel.command, safe=" /:=,'\"()*-._"),
            },
        )

    # -- errors -------------------------------------------------------------------------------
    def _guarded(self, request: Request, action: Callable[[], Response], *, html: bool) -> Response:
        try:
            return action()
        except ParamError as exc:
            return self._error(400, "Bad address", str(exc), html)
        except NotFound as exc:
            return self._error(404, "Not found", str(exc), html)
        except OperationalError:
            log.exception("database error on %s", request.url.path)
            return self._error(
                503, "Database unavailable", "the database could not be read; try again", html
            )
        except Exception:
            log.exception("error on %s", request.url.path)
            return self._error(500, "Something went wrong", "the page could not be built", html)

    def _error(self, status: int, title: str, message: str, html: bool) -> Response:
        if not html:
            return PlainTextResponse(f"error: {message}\n", status_code=status)
        return self._html("error.html", status, title=title, message=message)

    def not_found(self, request: Request, exc: Exception) -> Response:
        return self._error(404, "Not found", "there is no page at this address", True)

    def _html(self, template: str, status: int, **context: Any) -> HTMLResponse:
        context.setdefault("database", self.explorer.database)
        body = self.env.get_template(template).render(**context)
        return HTMLResponse(body, status_code=status)


def create_app(explorer: Explorer, *, credentials: Credentials, loopback: bool) -> Any:
    """The ASGI application: the routes behind the access checks and security headers."""
    handlers = ExplorerApp(explorer)
    routes = [
        Route("/", handlers.page("overview"), methods=["GET", "HEAD"]),
        Route("/explore", handlers.page("explore"), methods=["GET", "HEAD"]),
        Route("/story", handlers.page("story"), methods=["GET", "HEAD"]),
        Route("/source", handlers.page("source"), methods=["GET", "HEAD"]),
        Mount("/static", StaticFiles(packages=[("borderwatch.explorer", "static")]), name="static"),
        Route("/{page}/{panel}.{fmt}", handlers.download, methods=["GET", "HEAD"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: handlers.not_found})
    app.state.explorer = explorer
    return AccessMiddleware(app, credentials=credentials, loopback=loopback)


__all__ = ["ExplorerApp", "create_app", "environment"]
