"""Who may read the explorer, and what every response tells the browser.

- **Loopback by default.** On 127.0.0.1 / ::1 / localhost nobody else on the network reaches the
  server, and only requests that name a loopback host are answered (a web page elsewhere
  cannot reach it through a DNS name that points at 127.0.0.1).
- **Anywhere else, credentials from the environment, or no start.** ``BORDERWATCH_SERVE_TOKEN``
  (a bearer token: ``Authorization: Bearer …``, or ``?token=…`` once, which sets a cookie and
  redirects to the same page without it) and/or ``BORDERWATCH_SERVE_USER`` with
  ``BORDERWATCH_SERVE_PASSWORD`` (HTTP basic authentication, which every browser asks for).
  When they are set, they are required on loopback too.
- **Only GET and HEAD.** Nothing the explorer serves changes anything.
- **Headers.** A Content-Security-Policy that allows no script at all (the pages have none) and
  nothing from another origin, no framing, no MIME sniffing, no referrer sent to the outlets a
  reader follows a link to.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import URL, Headers, QueryParams
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_ENV = "BORDERWATCH_SERVE_TOKEN"
USER_ENV = "BORDERWATCH_SERVE_USER"
PASSWORD_ENV = "BORDERWATCH_SERVE_PASSWORD"
COOKIE = "borderwatch_token"
# A token shorter than this is refused: it would be guessed.
MIN_TOKEN = 16

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
LOOPBACK_NAMES = ("localhost",)


class AccessError(ValueError):
    """The server must not start as asked; the message is one line for the user."""


@dataclass(frozen=True)
class Credentials:
    """What a request must present: a token, a user and password, either, or nothing."""

    token: str | None = None
    user: str | None = None
    password: str | None = None

    @property
    def required(self) -> bool:
        return bool(self.token or self.user)

    def describe(self) -> str:
        kinds = []
        if self.token:
            kinds.append("a token")
        if self.user:
            kinds.append("basic authentication")
        return " or ".join(kinds) or "nothing"


def credentials_from(environ: Mapping[str, str] | None = None) -> Credentials:
    """The credentials set in the environment; AccessError when they are half set or weak."""
    environ = os.environ if environ is None else environ
    token = environ.get(TOKEN_ENV) or None
    user = environ.get(USER_ENV) or None
    password = environ.get(PASSWORD_ENV) or None
    if token is not None and len(token) < MIN_TOKEN:
        raise AccessError(f"${TOKEN_ENV} is too short: use at least {MIN_TOKEN} characters")
    if bool(user) != bool(password):
        raise AccessError(f"set both ${USER_ENV} and ${PASSWORD_ENV}, or neither")
    return Credentials(token, user, password)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable from this machine only."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, credentials: Credentials) -> None:
    """Refuse a non-loopback address without credentials (AccessError, one line)."""
    if not is_loopback(host) and not credentials.required:
        raise AccessError(
            f"--host {host} is reachable from other machines: set ${TOKEN_ENV} (a long random "
            f"token) or ${USER_ENV} and ${PASSWORD_ENV} first, or keep the default 127.0.0.1"
        )


def _host_name(host: str) -> str:
    """The name in a Host header, without the port (``[::1]:8000`` → ``[::1]``)."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0]


class AccessMiddleware:
    """GET and HEAD only; the loopback host check; credentials when they are set; the headers."""

    def __init__(self, app: ASGIApp, *, credentials: Credentials, loopback: bool) -> None:
        self.app = app
        self.credentials = credentials
        self.loopback = loopback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                elapsed = (time.perf_counter() - started) * 1000
                headers.append((b"server-timing", f"app;dur={elapsed:.1f}".encode()))
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope) -> Response | None:
        if scope["method"] not in ("GET", "HEAD"):
            return PlainTextResponse(
                "the explorer only reads: use GET", status_code=405, headers={"allow": "GET, HEAD"}
            )
        headers = Headers(scope=scope)
        if self.loopback and not is_loopback(_host_name(headers.get("host", ""))):
            return PlainTextResponse(
                "this server answers requests for 127.0.0.1 or localhost only", status_code=421
            )
        if not self.credentials.required:
            return None
        url = URL(scope=scope)
        query = QueryParams(scope.get("query_string", b""))
        offered = query.get("token")
        if offered is not None and self._equal(offered, self.credentials.token):
            # Trade the token in the address for a cookie, and drop it from the address bar.
            rest = [(k, v) for k, v in query.multi_items() if k != "token"]
            target = url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(
                COOKIE, offered, httponly=True, samesite="strict", secure=url.scheme == "https"
            )
            return response
        if offered is None and (self._token_ok(headers) or self._basic_ok(headers)):
            return None
        challenge = {}
        if self.credentials.user:
            challenge["www-authenticate"] = 'Basic realm="borderwatch", charset="UTF-8"'
        return PlainTextResponse(
            f"the explorer needs {self.credentials.describe()}", status_code=401, headers=challenge
        )

    def _token_ok(self, headers: Headers) -> bool:
        token = self.credentials.token
        if not token:
            return False
        authorization = headers.get("authorization", "")
        if authorization[:7].lower() == "bearer " and self._equal(authorization[7:], token):
            return True
        cookies = headers.get("cookie", "")
        for part in cookies.split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and self._equal(value, token):
                return True
        return False

    def _basic_ok(self, headers: Headers) -> bool:
        if not self.credentials.user:
            return False
        authorization = headers.get("authorization", "")
        if authorization[:6].lower() != "basic ":
            return False
        try:
            decoded = base64.b64decode(authorization[6:], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        # Both compared in full, whatever the first gives: no timing hint which one was wrong.
        user_ok = self._equal(user, self.credentials.user)
        password_ok = self._equal(password, self.credentials.password)
        return user_ok and password_ok

    @staticmethod
    def _equal(given: str, expected: str | None) -> bool:
        if expected is None:
            return False
        return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


__all__ = [
    "AccessError",
    "AccessMiddleware",
    "Credentials",
    "check_bind",
    "credentials_from",
    "is_loopback",
]
