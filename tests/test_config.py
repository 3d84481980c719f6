"""Configuration loading: the real config.yaml is valid, and every mistake is one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from borderwatch.cli import main
from borderwatch.config import ConfigError, config_from_mapping, load_config, parse_duration
from tests.support.config import REPO, base_config, write_config


def test_shipped_config_is_valid_and_names_every_default_tag() -> None:
    config = load_config(REPO / "config.yaml")
    assert len(config.sources) >= 30
    for tag in ("talks", "ceasefire", "security", "border", "trade", "refugees"):
        assert tag in config.tags
    for source in config.sources:
        assert source.key and source.name and source.country and source.language


def test_without_a_config_file_the_packaged_default_is_used(tmp_path: Path, monkeypatch) -> None:
    from borderwatch.config import CONFIG_ENV, PACKAGED_CONFIG

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    config = load_config()
    assert config.path == PACKAGED_CONFIG
    # Its data goes to the working directory, never into the installed package.
    assert config.data_path == tmp_path / "data"
    monkeypatch.setenv(CONFIG_ENV, str(REPO / "config.yaml"))
    assert load_config().path == REPO / "config.yaml"


def test_packaged_default_is_a_copy_of_the_root_config() -> None:
    """The package ships a real file (a symbolic link breaks on checkouts without them)."""
    from borderwatch.config import PACKAGED_CONFIG

    assert not PACKAGED_CONFIG.is_symlink()
    assert PACKAGED_CONFIG.read_bytes() == (REPO / "config.yaml").read_bytes(), (
        "config.yaml changed: copy it to borderwatch/default_config.yaml"
    )


def test_processing_defaults_come_from_the_config_model() -> None:
    """config.yaml states the model's processing defaults; the stages take theirs from it."""
    from borderwatch.config import ProcessingSettings
    from borderwatch.plan import processing_rules

    shipped = load_config(REPO / "config.yaml")
    assert shipped.processing == ProcessingSettings()
    rules = processing_rules(shipped)
    assert rules.story_window_days == ProcessingSettings().story_window_days
    assert rules.near_duplicate_threshold == ProcessingSettings().near_duplicate_threshold


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"colect": {}}, "colect: unknown key"),
        ({"collect": {"intervall": "5m"}}, "collect.intervall: unknown key"),
        ({"collect": {"interval": "soon"}}, "collect.interval: expected a duration"),
        ({"collect": {"concurrency_per_domain": "many"}}, "collect.concurrency_per_domain"),
        ({"schedule": {"timezone": "Mars/Olympus"}}, "schedule.timezone: expected an IANA"),
        ({"schedule": {"digest_time": "25:99"}}, "schedule.digest_time: expected a local time"),
        ({"email": {"security": "tls"}}, "email.security"),
        ({"topic": "(Pakistan AND"}, "topic: "),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, change: dict, expected: str) -> None:
    raw = base_config(tmp_path)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    with pytest.raises(ConfigError) as caught:
        config_from_mapping(raw, origin="config.yaml")
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_source_mistake_names_the_source(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    raw["sources"] = [
        {
            "key": "dawn",
            "name": "Dawn",
            "country": "PK",
            "language": "en",
            "feeds": [{"url": "https://example.org/feed", "knd": "rss"}],
        }
    ]
    with pytest.raises(ConfigError, match=r"sources\[dawn\]\.feeds\[0\]\.knd: unknown key"):
        config_from_mapping(raw, origin="config.yaml")


def test_durations() -> None:
    assert parse_duration("30m") == 1800
    assert parse_duration("2h") == 7200
    assert parse_duration("1d") == 86400
    assert parse_duration(45) == 45
    with pytest.raises(ValueError):
        parse_duration("0m")
    # Whole seconds: a fraction of a second would round to "no wait at all".
    with pytest.raises(ValueError, match="at least 1s"):
        parse_duration("0.5s")
    assert parse_duration("1.5m") == 90


def test_cli_misspelled_key_exits_2_with_one_line(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    raw["collect"]["intervall"] = "5m"
    path = write_config(tmp_path, raw)
    # A real process: the exit status and stderr are what a user sees.
    done = subprocess.run(
        [sys.executable, "-m", "borderwatch", "--config", str(path), "collect"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "collect.intervall: unknown key" in lines[0]
    assert "Traceback" not in done.stderr


def test_cli_runner_reports_yaml_syntax_errors(tmp_path: Path, runner) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("collect: [unclosed\n", encoding="utf-8")
    result = runner.invoke(main, ["--config", str(path), "collect"])
    assert result.exit_code == 2
    assert "not valid YAML" in result.output


def _config_keys(model: type, prefix: str = "") -> list[str]:
    """Every key of the configuration model as a dotted name (sources.feeds.url...)."""
    import typing

    from pydantic import BaseModel

    found = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        found.append(prefix + name)
        for candidate in (field.annotation, *typing.get_args(field.annotation)):
            for inner in (candidate, *typing.get_args(candidate)):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    found += _config_keys(inner, f"{prefix}{name}.")
    return found


def test_every_config_key_is_documented() -> None:
    """Each key of the configuration is shown in config.yaml (set or in a comment) or in docs/:
    as a YAML key, as `key` or as its dotted name."""
    import re

    from borderwatch.config import Config

    documents = [(REPO / "config.yaml").read_text(encoding="utf-8")]
    documents += [p.read_text(encoding="utf-8") for p in sorted((REPO / "docs").glob("*.md"))]
    text = "\n".join(documents)
    keys = _config_keys(Config)
    assert len(keys) > 50
    undocumented = []
    for key in keys:
        leaf = re.escape(key.rsplit(".", 1)[-1])
        shown = rf"(^[\s#-]*{leaf}:)|(`{leaf}`)|({re.escape(key)}\b)"
        if not re.search(shown, text, re.M):
            undocumented.append(key)
    assert not undocumented, f"document these keys in config.yaml or docs/: {undocumented}"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"topic": {"clauses": {"a": "x"}, "qury": "y"}}, "topic.qury: unknown key"),
        ({"topic": {"clauses": {"a": "x"}, "query": "y"}}, "topic: expected either a query or"),
        ({"topic": {"terms": {"a": "x"}}}, "topic: expected a query, or clauses"),
        ({"topic": {"clauses": {"A b": "x"}}}, "topic.clauses: name 'A b': expected lower-case"),
        ({"topic": {"clauses": {"a": "x AND"}}}, "topic.clauses.a: query ends after AND"),
        (
            {"topic": {"clauses": {"a": "@pk x"}, "terms": {"pk": "Pakistan OR"}}},
            "topic.terms.pk: query ends after OR",
        ),
        (
            {"topic": {"clauses": {"a": "@pak x"}, "terms": {"pk": "Pakistan"}}},
            'topic.clauses.a: unknown term list "@pak"',
        ),
        ({"topic": {"clauses": {"a": "source.country:PKR"}}}, "topic.clauses.a: bad value"),
        ({"tags": {"talks": {"query": "talks", "mentions": 0}}}, "tags.talks.mentions"),
        ({"tags": {"talks": 5}}, "tags.talks: expected a query (text) or a mapping"),
        ({"tags": {"talks": "@nothing"}}, 'tags.talks: unknown term list "@nothing"'),
        ({"processing": {"lede_words": -1}}, "processing.lede_words"),
    ],
)
def test_topic_and_tag_mistakes_name_the_key(tmp_path: Path, change: dict, expected: str) -> None:
    raw = base_config(tmp_path)
    raw.update(change)
    with pytest.raises(ConfigError) as caught:
        config_from_mapping(raw, origin="config.yaml")
    assert expected in str(caught.value)


def test_topic_and_tags_in_either_form(tmp_path: Path) -> None:
    from borderwatch.plan import processing_rules

    raw = base_config(tmp_path)
    raw["topic"] = {
        "terms": {"af": "Kabul OR Afghan*"},
        "clauses": {"crossing": "Torkham", "pk-press": "source.country:PK AND @af AND TTP"},
    }
    raw["tags"] = {"talks": "talks OR @af", "security": {"query": "TTP", "mentions": 3}}
    raw["processing"] = {"tag_mentions": 4, "lede_words": 40}
    rules = processing_rules(config_from_mapping(raw))
    assert [name for name, _ in rules.topic.named_clauses()] == ["crossing", "pk-press"]
    assert rules.tags["talks"].matches("Kabul")
    assert rules.tag_mentions == {"talks": 4, "security": 3}
    assert rules.lede_words == 40
    raw["topic"] = "Torkham OR Chaman"
    raw["tags"] = {"talks": "talks"}
    assert processing_rules(config_from_mapping(raw)).topic.source == "Torkham OR Chaman"
