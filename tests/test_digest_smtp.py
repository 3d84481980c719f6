"""Sending the digest to a real SMTP server on 127.0.0.1 (aiosmtpd), through the real CLI.

Plain, STARTTLS (self-signed certificate, login from environment variables) and implicit TLS;
temporary refusals retried with the same Message-ID; a permanent refusal; connection refused
until a server appears; and exactly-once delivery across a process that dies between the
server's acceptance and the database record.
"""

from __future__ import annotations

import subprocess
import sys
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from borderwatch.cli import main
from borderwatch.digest import ledger
from pipeline.store import Store
from tests.support.config import REPO, base_config, write_config
from tests.support.digest_data import DAY, seed_day
from tests.support.smtp_server import (
    PasswordCheck,
    RecordingHandler,
    free_port,
    self_signed_certificate,
    server_tls_context,
    smtp_server,
)

ANALYST = "analyst@example.org"
EDITOR = "editor@example.org"


@pytest.fixture
def seeded(db_url: str) -> str:
    store = Store(db_url)
    seed_day(store)
    store.close()
    return db_url


def smtp_config(tmp_path: Path, port: int, **email: Any) -> Path:
    raw = base_config(tmp_path)
    raw["digest"]["recipients"] = [ANALYST]
    raw["email"].update(
        {
            "host": "127.0.0.1",
            "port": port,
            "security": "plain",
            "sender": "digest@borderwatch.example",
            "timeout": "10s",
            "retries": 3,
            "retry_delay": 0.05,
            **email,
        }
    )
    return write_config(tmp_path, raw)


def send(runner, config: Path, db_url: str, *extra: str):
    return runner.invoke(
        main,
        ["--config", str(config), "--db", db_url, "digest", "--date", DAY.isoformat(), "--send"]
        + list(extra),
    )


def row_status(db_url: str, recipient: str) -> str | None:
    store = Store(db_url)
    try:
        return ledger.status(store, DAY, recipient)
    finally:
        store.close()


def test_plain_delivery_sends_one_well_formed_message_once(runner, tmp_path, seeded) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as server:
        config = smtp_config(tmp_path, server.port)
        result = send(runner, config, seeded)
        assert result.exit_code == 0, result.output
        again = send(runner, config, seeded)
    assert again.exit_code == 0, again.output
    assert f"{ANALYST}: already-sent" in again.output
    assert len(handler.received) == 1
    received = handler.received[0]
    assert received.mail_from == "digest@borderwatch.example"
    assert received.rcpt_tos == [ANALYST]
    assert not received.tls
    message = BytesParser(policy=policy.default).parsebytes(received.data)
    # Headers.
    assert message["To"] == ANALYST
    assert message["From"].addresses[0].addr_spec == "digest@borderwatch.example"
    assert message["Subject"].startswith("Border talks digest, Mon 27 Oct 2025: 9 new stories")
    assert message["Date"].datetime is not None
    assert message["Message-ID"].endswith("@borderwatch.example>")
    assert message["List-Unsubscribe"] == (
        "<mailto:digest@borderwatch.example?subject=unsubscribe>"
    )
    # Parts: text first, then HTML with the chart attached by Content-ID.
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
    ]
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    image = next(p for p in message.walk() if p.get_content_type() == "image/png")
    assert image.get_content().startswith(b"\x89PNG")
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html
    # Content.
    assert "1. Kabul and Islamabad agree ceasefire monitoring mechanism in Istanbul" in plain
    assert "Also reported by 3 outlets: Dawn, Geo News, Al Jazeera English" in plain
    doc = lxml.html.fromstring(html)
    links = {a.text_content().strip(): a.get("href") for a in doc.xpath("//p//a")}
    assert links["Torkham crossing shut for a fourth day; traders count losses"] == (
        "https://geo.example/news/16"
    )
    assert "spike" in doc.text_content()
    # The ledger has it as sent with the same Message-ID.
    store = Store(seeded)
    rows = store.read_sql("SELECT recipient, status, message_id, sent_at FROM digests")
    store.close()
    assert rows["recipient"].tolist() == [ANALYST]
    assert rows["status"].tolist() == ["sent"]
    assert rows["message_id"].tolist() == [message["Message-ID"]]
    assert rows["sent_at"].notna().all()


def test_starttls_with_login_from_environment(runner, tmp_path, seeded, monkeypatch) -> None:
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("BW_TEST_SMTP_USER", "digest-bot")
    monkeypatch.setenv("BW_TEST_SMTP_PASSWORD", "s3cret word")
    handler = RecordingHandler()
    with smtp_server(
        handler,
        starttls=server_tls_context(cert, key),
        authenticator=PasswordCheck("digest-bot", "s3cret word"),
    ) as server:
        config = smtp_config(
            tmp_path,
            server.port,
            security="starttls",
            ca_file=str(cert),
            username_env="BW_TEST_SMTP_USER",
            password_env="BW_TEST_SMTP_PASSWORD",
        )
        result = send(runner, config, seeded)
    assert result.exit_code == 0, result.output
    assert len(handler.received) == 1
    assert handler.received[0].tls
    assert handler.received[0].login == "digest-bot"
    assert row_status(seeded, ANALYST) == "sent"


def test_a_wrong_password_is_a_permanent_failure(runner, tmp_path, seeded, monkeypatch) -> None:
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("BORDERWATCH_SMTP_USER", "digest-bot")
    monkeypatch.setenv("BORDERWATCH_SMTP_PASSWORD", "wrong")
    handler = RecordingHandler()
    with smtp_server(
        handler,
        starttls=server_tls_context(cert, key),
        authenticator=PasswordCheck("digest-bot", "right"),
    ) as server:
        config = smtp_config(tmp_path, server.port, security="starttls", ca_file=str(cert))
        result = send(runner, config, seeded)
    assert result.exit_code == 1
    assert "refused login: 535" in result.output
    assert handler.received == []
    assert row_status(seeded, ANALYST) == "failed"


def test_starttls_refuses_a_certificate_it_cannot_verify(runner, tmp_path, seeded) -> None:
    cert, key = self_signed_certificate(tmp_path)
    handler = RecordingHandler()
    with smtp_server(handler, starttls=server_tls_context(cert, key)) as server:
        config = smtp_config(tmp_path, server.port, security="starttls")  # no ca_file
        result = send(runner, config, seeded)
    assert result.exit_code == 1
    assert "TLS with 127.0.0.1" in result.output
    assert handler.attempts == []


def test_implicit_tls(runner, tmp_path, seeded) -> None:
    cert, key = self_signed_certificate(tmp_path)
    handler = RecordingHandler()
    with smtp_server(handler, implicit_tls=server_tls_context(cert, key)) as server:
        config = smtp_config(tmp_path, server.port, security="ssl", ca_file=str(cert))
        result = send(runner, config, seeded)
    assert result.exit_code == 0, result.output
    assert len(handler.received) == 1 and handler.received[0].tls


def test_temporary_refusals_are_retried_with_the_same_message_id(runner, tmp_path, seeded) -> None:
    handler = RecordingHandler(refuse=2)
    with smtp_server(handler) as server:
        result = send(runner, smtp_config(tmp_path, server.port), seeded)
    assert result.exit_code == 0, result.output
    assert len(handler.attempts) == 3
    assert len(handler.received) == 1
    parse = BytesParser(policy=policy.default).parsebytes
    ids = {parse(data)["Message-ID"] for data in handler.attempts}
    assert len(ids) == 1
    assert row_status(seeded, ANALYST) == "sent"


def test_a_permanent_refusal_is_not_retried(runner, tmp_path, seeded) -> None:
    handler = RecordingHandler(refuse=1, reply="550 5.1.1 No such mailbox")
    with smtp_server(handler) as server:
        result = send(runner, smtp_config(tmp_path, server.port), seeded)
    assert result.exit_code == 1
    assert "550 5.1.1 No such mailbox" in result.output
    assert len(handler.attempts) == 1
    assert row_status(seeded, ANALYST) == "failed"


def test_connection_refused_fails_then_the_next_run_sends(runner, tmp_path, seeded) -> None:
    port = free_port()  # nothing listens here yet
    config = smtp_config(tmp_path, port, retries=2, retry_delay=0.01)
    refused = send(runner, config, seeded)
    assert refused.exit_code == 1
    assert "cannot connect to 127.0.0.1" in refused.output
    assert row_status(seeded, ANALYST) == "failed"
    handler = RecordingHandler()
    with smtp_server(handler, port=port):
        result = send(runner, config, seeded)
    assert result.exit_code == 0, result.output
    assert len(handler.received) == 1
    assert row_status(seeded, ANALYST) == "sent"


CRASH_AFTER_ACCEPT = """
import os, sys
from borderwatch.digest import ledger

def die(*args, **kwargs):
    # The server has accepted the message; the process dies before recording it.
    os._exit(3)

ledger.mark_sent = die
from borderwatch.cli import main
main(sys.argv[1:])
"""


def test_a_crash_between_sending_and_recording_never_sends_twice(runner, tmp_path, seeded) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as server:
        raw_config = smtp_config(tmp_path, server.port)
        text = raw_config.read_text().replace(f"- {ANALYST}", f"- {ANALYST}\n  - {EDITOR}")
        raw_config.write_text(text)
        args = ["--config", str(raw_config), "--db", seeded]
        args += ["digest", "--date", DAY.isoformat(), "--send"]
        crashed = subprocess.run(
            [sys.executable, "-c", CRASH_AFTER_ACCEPT, *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
        )
        assert crashed.returncode == 3, crashed.stderr
        # The analyst got it; the process died before the record and before the editor's turn.
        assert [r.rcpt_tos for r in handler.received] == [[ANALYST]]
        assert row_status(seeded, ANALYST) == "sending"
        assert row_status(seeded, EDITOR) is None

        # The restart sends to the editor only; the analyst's digest is reported unconfirmed.
        restart = send(runner, raw_config, seeded)
        assert restart.exit_code == 1
        assert f"{ANALYST}: unconfirmed" in restart.output
        assert [r.rcpt_tos for r in handler.received] == [[ANALYST], [EDITOR]]
        assert row_status(seeded, EDITOR) == "sent"

        # And again: nothing new goes out.
        again = send(runner, raw_config, seeded)
        assert f"{EDITOR}: already-sent" in again.output
        assert len(handler.received) == 2

        # An operator who finds it missing resends it, with the Message-ID it first had.
        resend = send(runner, raw_config, seeded, "--to", ANALYST, "--resend")
        assert resend.exit_code == 0, resend.output
    assert [r.rcpt_tos for r in handler.received] == [[ANALYST], [EDITOR], [ANALYST]]
    first, _, second = (r.message for r in handler.received)
    assert first["Message-ID"] == second["Message-ID"]
    assert row_status(seeded, ANALYST) == "sent"


def test_two_processes_cannot_both_claim_a_recipient(db_url: str) -> None:
    one, two = Store(db_url), Store(db_url)
    try:
        first = ledger.claim(one, DAY, ANALYST, "<a@x>")
        second = ledger.claim(two, DAY, ANALYST, "<b@x>")
        assert first.claimed and not second.claimed
        assert second.message_id == "<a@x>" and second.status == "sending"
        ledger.mark_failed(one, DAY, ANALYST, "<a@x>")
        retry = ledger.claim(two, DAY, ANALYST, "<b@x>")
        assert retry.claimed and retry.message_id == "<a@x>"  # the first Message-ID is kept
    finally:
        one.close()
        two.close()


def test_the_daily_job_run_twice_mails_once(tmp_path, seeded) -> None:
    from borderwatch.jobs import digest_job

    handler = RecordingHandler()
    with smtp_server(handler) as server:
        config = smtp_config(tmp_path, server.port)
        # A restarted daemon, or a coalesced misfire, runs the same day's job again.
        digest_job(str(config), seeded, DAY.isoformat())
        digest_job(str(config), seeded, DAY.isoformat())
    assert len(handler.received) == 1
    store = Store(seeded)
    runs = store.read_sql("SELECT status FROM runs WHERE job = 'digest'")
    store.close()
    assert runs["status"].tolist() == ["ok", "ok"]
    assert row_status(seeded, ANALYST) == "sent"
