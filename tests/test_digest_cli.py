"""``borderwatch digest`` without a mail server: preview, outbox delivery, empty days, bad input."""

from __future__ import annotations

import datetime as dt
from email import policy
from email.parser import BytesParser
from pathlib import Path

from borderwatch.cli import main
from borderwatch.digest import ledger
from pipeline.store import Store
from tests.support.config import base_config, write_config
from tests.support.digest_data import DAY, Seeder, local, seed_day


def run(runner, config: Path, db_url: str, *args: str):
    return runner.invoke(main, ["--config", str(config), "--db", db_url, "digest", *args])


def test_preview_writes_the_mail_and_a_standalone_page_and_prints_their_paths(
    runner, tmp_path: Path, db_url: str
) -> None:
    store = Store(db_url)
    seed_day(store)
    store.close()
    config = write_config(tmp_path, base_config(tmp_path))
    result = run(runner, config, db_url, "--date", DAY.isoformat(), "--preview")
    assert result.exit_code == 0, result.output
    outbox = tmp_path / "data" / "outbox"
    eml, html = outbox / "digest-2025-10-27.eml", outbox / "digest-2025-10-27.html"
    assert result.output.splitlines()[1:] == [str(eml), str(html)]
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert "9 new stories" in message["Subject"]
    page = html.read_text(encoding="utf-8")
    # The standalone page carries the chart inline, since there is no mail around it.
    assert 'src="data:image/png;base64,' in page
    assert "Kabul and Islamabad agree ceasefire monitoring mechanism in Istanbul" in page
    # A preview is not a delivery: nothing recorded.
    store = Store(db_url)
    assert store.count("digests") == 0
    store.close()


def test_without_a_mail_server_the_digest_goes_to_the_outbox_and_is_recorded(
    runner, tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, base_config(tmp_path))
    result = run(runner, config, db_url, "--date", DAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "no new coverage" in result.output
    page = (tmp_path / "data" / "outbox" / "digest-2025-10-27.html").read_text(encoding="utf-8")
    assert "No new coverage" in page
    store = Store(db_url)
    assert ledger.status(store, DAY, ledger.OUTBOX_RECIPIENT) == "written"
    store.close()


def test_an_empty_day_can_be_skipped(runner, tmp_path: Path, db_url: str) -> None:
    raw = base_config(tmp_path)
    raw["digest"]["empty_day"] = "skip"
    config = write_config(tmp_path, raw)
    result = run(runner, config, db_url, "--date", DAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "nothing was sent" in result.output
    assert not (tmp_path / "data" / "outbox").exists()


def test_an_empty_day_with_stories_that_arrived_late_is_not_skipped(
    runner, tmp_path: Path, db_url: str
) -> None:
    store = Store(db_url)
    seed = Seeder(store)
    seed.sources()
    # Published the day before, collected at 09:00 on the day: after that day's digest.
    seed.article("geo", "Torkham closed overnight", local(DAY - dt.timedelta(days=1), 22),
                 "late", ("border",), collected=local(DAY, 9))  # fmt: skip
    store.close()
    raw = base_config(tmp_path)
    raw["digest"]["empty_day"] = "skip"
    config = write_config(tmp_path, raw)
    result = run(runner, config, db_url, "--date", DAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "no new coverage, 1 arrived late" in result.output
    page = (tmp_path / "data" / "outbox" / "digest-2025-10-27.html").read_text(encoding="utf-8")
    assert "No new coverage" in page and "Torkham closed overnight" in page


def test_bad_input_is_one_clear_line(runner, tmp_path: Path, db_url: str) -> None:
    config = write_config(tmp_path, base_config(tmp_path))
    bad_day = run(runner, config, db_url, "--date", "27/10/2025")
    assert bad_day.exit_code == 2 and "expected YYYY-MM-DD" in bad_day.output
    no_server = run(runner, config, db_url, "--send")
    assert no_server.exit_code == 2
    assert "email.host is not set" in no_server.output
    stray = run(runner, config, db_url, "--preview", "--to", "a@example.org")
    assert stray.exit_code == 2 and "--to and --resend apply to sending" in stray.output
    bad_address = run(runner, config, db_url, "--send", "--to", "not an address")
    assert bad_address.exit_code == 2 and "--to: expected an e-mail address" in bad_address.output
    raw = base_config(tmp_path)
    raw["email"]["host"] = "127.0.0.1"
    config = write_config(tmp_path, raw)
    nobody = run(runner, config, db_url, "--send")
    assert nobody.exit_code == 2 and "no recipients" in nobody.output


def test_the_configuration_checks_addresses(tmp_path: Path) -> None:
    import pytest

    from borderwatch.config import ConfigError, config_from_mapping

    raw = base_config(tmp_path)
    raw["digest"]["recipients"] = ["analyst@example.org", "nobody"]
    with pytest.raises(ConfigError, match=r"digest.recipients.*expected an e-mail address"):
        config_from_mapping(raw)
    raw = base_config(tmp_path)
    raw["email"]["unsubscribe"] = "javascript:alert(1)"
    with pytest.raises(ConfigError, match=r"email.unsubscribe: expected an https:// or mailto:"):
        config_from_mapping(raw)
