"""Hand one message to an SMTP server: plain, STARTTLS or SSL, with retries on temporary failures.

Failures are sorted by what they mean for the recipient:

- ``TemporaryFailure``: not delivered, worth retrying (connection refused or lost before the
  message was handed over, a timeout, a 4xx reply);
- ``PermanentFailure``: not delivered, retrying will not help (5xx reply, TLS or login refused);
- ``UnconfirmedDelivery``: the connection broke while the message itself was being handed over,
  so the server may have accepted it. Never retried (see ``ledger``).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

from borderwatch.config import EmailSettings

log = logging.getLogger("borderwatch.digest")


class DeliveryError(Exception):
    """The message could not be handed to the server; the message is one line."""


class TemporaryFailure(DeliveryError):
    pass


class PermanentFailure(DeliveryError):
    pass


class UnconfirmedDelivery(DeliveryError):
    pass


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


def credentials_from_env(settings: EmailSettings) -> Credentials | None:
    """User name and password from the environment variables named in config.yaml."""
    username = os.environ.get(settings.username_env)
    password = os.environ.get(settings.password_env)
    if username and password:
        return Credentials(username, password)
    if username or password:
        missing = settings.password_env if username else settings.username_env
        raise PermanentFailure(f"SMTP credentials: ${missing} is not set (both are needed)")
    return None


def tls_context(settings: EmailSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.ca_file:
        context.load_verify_locations(cafile=settings.ca_file)
    return context


def send_message(
    settings: EmailSettings,
    message: EmailMessage,
    recipient: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Send ``message`` to ``recipient``, retrying temporary failures; returns attempts made."""
    credentials = credentials_from_env(settings)
    data = message.as_bytes(policy=SMTP_POLICY)
    attempts = settings.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            _send_once(settings, credentials, data, str(message["From"]), recipient)
            return attempt
        except TemporaryFailure as exc:
            if attempt == attempts:
                raise
            delay = settings.retry_delay * 2 ** (attempt - 1)
            log.warning(
                "digest to %s: %s; retrying in %.1fs (attempt %d of %d)",
                recipient,
                exc,
                delay,
                attempt + 1,
                attempts,
            )
            sleep(delay)
    raise AssertionError("unreachable")


def _send_once(
    settings: EmailSettings,
    credentials: Credentials | None,
    data: bytes,
    sender: str,
    recipient: str,
) -> None:
    server = f"{settings.host}:{settings.port}"
    try:
        client = _connect(settings)
    except ssl.SSLError as exc:
        raise PermanentFailure(f"TLS with {server} failed: {exc.reason or exc}") from None
    except smtplib.SMTPResponseException as exc:
        raise _reply_failure("connecting", exc.smtp_code, exc.smtp_error) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise TemporaryFailure(f"cannot connect to {server}: {_reason(exc)}") from None
    try:
        try:
            if credentials:
                client.login(credentials.username, credentials.password)
            code, reply = client.mail(sender)
            if code != 250:
                raise _reply_failure("MAIL FROM", code, reply)
            code, reply = client.rcpt(recipient)
            if code not in (250, 251):
                raise _reply_failure("RCPT TO", code, reply)
        except smtplib.SMTPNotSupportedError:
            raise PermanentFailure(f"{server} does not offer login on this connection") from None
        except smtplib.SMTPResponseException as exc:
            raise _reply_failure("login", exc.smtp_code, exc.smtp_error) from None
        except ssl.SSLError as exc:
            raise PermanentFailure(f"TLS with {server} failed: {exc.reason or exc}") from None
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise TemporaryFailure(f"{server} dropped the connection: {_reason(exc)}") from None
        except smtplib.SMTPException as exc:
            raise PermanentFailure(f"{server}: {_reason(exc)}") from None
        try:
            code, reply = client.data(data)
        except smtplib.SMTPDataError as exc:
            # The server answered: it did not take the message.
            raise _reply_failure("DATA", exc.smtp_code, exc.smtp_error) from None
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise UnconfirmedDelivery(
                f"{server} dropped the connection while the message was being handed over "
                f"({_reason(exc)}): it may or may not have been delivered"
            ) from None
        if code != 250:  # the server answered after the message: it did not take it
            raise _reply_failure("the message", code, reply)
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _connect(settings: EmailSettings) -> smtplib.SMTP:
    host, port, timeout = settings.host, settings.port, settings.timeout
    if settings.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=tls_context(settings)
        )
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    try:
        client.ehlo()
        if settings.security == "starttls":
            if not client.has_extn("starttls"):
                raise PermanentFailure(f"{host}:{port} does not offer STARTTLS")
            client.starttls(context=tls_context(settings))
            client.ehlo()
    except BaseException:
        client.close()
        raise
    return client


def _reply_failure(step: str, code: int, reply: bytes | str) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    message = f"the server refused {step}: {code} {' '.join(text.split())}"
    return TemporaryFailure(message) if 400 <= code < 500 else PermanentFailure(message)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
