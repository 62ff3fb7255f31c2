"""What keeps the interface safe to open: who may read it, and what a page may load.

Archived pages are untrusted input. Jinja2 escapes every value; on top of that each response
carries a Content-Security-Policy that runs no script at all and loads styles and images from
the interface only, so even a value that slipped through escaping could not run. Replay is
the one exception: it comes from pywb's own origin (another port) in a sandboxed iframe, so the
archived page's JavaScript runs there, never in this origin.

Reading is all the interface does, but an archive is still private: on 127.0.0.1 it is open to
the local user; any other address needs NEWSHUB_WEB_TOKEN (a bearer token) or NEWSHUB_WEB_AUTH
(`user:password` for HTTP basic auth), and either one, once set, is asked for on any address.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crawler.errors import NewshubError

TOKEN_VARIABLE = "NEWSHUB_WEB_TOKEN"
BASIC_VARIABLE = "NEWSHUB_WEB_AUTH"
REALM = "newshub archive"


class UnsafeBind(NewshubError):
    """The interface would be reachable from other machines without any credentials."""


@dataclass(frozen=True)
class Credentials:
    token: str | None = None
    # (user, password) for HTTP basic auth.
    basic: tuple[str, str] | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if environ is None else environ
        token = env.get(TOKEN_VARIABLE) or None
        basic = None
        if env.get(BASIC_VARIABLE):
            user, colon, password = env[BASIC_VARIABLE].partition(":")
            if not (user and colon and password):
                raise NewshubError(f"{BASIC_VARIABLE} must be user:password")
            basic = (user, password)
        return cls(token, basic)

    @property
    def required(self) -> bool:
        return self.token is not None or self.basic is not None

    def accept(self, authorization: str) -> bool:
        """Whether an Authorization header carries the token or the user and password."""
        scheme, _, value = authorization.partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "bearer" and self.token is not None:
            return secrets.compare_digest(value.encode(), self.token.encode())
        if scheme == "basic" and self.basic is not None:
            try:
                user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
            same_user = secrets.compare_digest(user.encode(), self.basic[0].encode())
            same_password = secrets.compare_digest(password.encode(), self.basic[1].encode())
            return same_user and same_password
        return False


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, credentials: Credentials) -> None:
    """Refuse to listen beyond this machine without a token or a password."""
    if not is_loopback(host) and not credentials.required:
        raise UnsafeBind(
            f"serving on {host} makes the archive reachable from other machines: set "
            f"{TOKEN_VARIABLE} (a bearer token) or {BASIC_VARIABLE} (user:password) first"
        )


def content_security_policy(replay_base: str) -> str:
    """No script, nothing from elsewhere; frames only from the replay server's origin."""
    parts = urlsplit(replay_base)
    replay_origin = f"{parts.scheme}://{parts.netloc}"
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'none'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"frame-src {replay_origin}",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


class SecurityMiddleware:
    """Credentials first, then the security headers on every response (errors included)."""

    def __init__(self, app: ASGIApp, credentials: Credentials, policy: str) -> None:
        self.app = app
        self.credentials = credentials
        self.headers = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *self.headers]
            await send(message)

        if self.credentials.required and not self._authorized(scope):
            await self._challenge(send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                return self.credentials.accept(value.decode("latin-1"))
        return False

    async def _challenge(self, send: Send) -> None:
        schemes = []
        if self.credentials.basic is not None:
            schemes.append(f'Basic realm="{REALM}", charset="UTF-8"'.encode())
        if self.credentials.token is not None:
            schemes.append(f'Bearer realm="{REALM}"'.encode())
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        headers += [(b"www-authenticate", scheme) for scheme in schemes]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": b"authentication required\n"})
