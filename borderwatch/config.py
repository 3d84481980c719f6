"""Load and validate config.yaml into typed settings.

Every problem in a configuration file becomes one ``ConfigError`` whose message names the file,
the key and what was expected, so the command line can print one line and exit with status 2.
"""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from crawler.kinds import DEFAULT_KIND, KINDS

PACKAGED_CONFIG = Path(__file__).with_name("default_config.yaml")
CONFIG_ENV = "BORDERWATCH_CONFIG"
DATABASE_ENV = "BORDERWATCH_DATABASE_URL"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: The longest duration any setting takes: a year. Longer ones mean nothing here, and the dates
#: they are added to (a next run, a retention cut) must stay representable.
MAX_DURATION = 366 * 86400


# libyaml's loader parses config.yaml about ten times faster than the pure-Python one, which
# matters for short commands such as reports; both build plain data only.
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """A safe loader that refuses a mapping with the same key twice (YAML says keys are
    unique; PyYAML would silently keep the last value)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.setdefault(key, line)
            except TypeError:  # an unhashable key: the constructor reports it
                break
            if first != line:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice (lines {first} and {line})",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


_YAML_LOADER = _UniqueKeyLoader


class ConfigError(Exception):
    """A configuration file that cannot be used; the message is one line for the user."""


def parse_duration(value: Any) -> int:
    """Seconds in ``30m``, ``2h``, ``1d``, ``45s`` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 30m, 2h or 1d")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"expected a duration like 30m, 2h or 1d, got {value!r}")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not seconds > 0:  # also NaN
        raise ValueError(f"expected a positive duration, got {value!r}")
    if seconds < 1:
        # Durations are whole seconds: "0.5s" would otherwise become 0 and mean "never wait".
        raise ValueError(f"expected a duration of at least 1s, got {value!r}")
    if seconds > MAX_DURATION:
        raise ValueError(f"expected a duration of at most 366d, got {value!r}")
    return round(seconds)


Duration = Annotated[int, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    """Base for config sections: unknown keys are errors, values are not silently coerced."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CollectSettings(_Strict):
    interval: Duration = parse_duration("30m")
    source_interval: Duration = parse_duration("1h")
    min_interval: Duration = parse_duration("15m")
    max_interval: Duration = parse_duration("12h")
    user_agent: str = "borderwatch/0.1"
    contact_url: str = "https://github.com/borderwatch/borderwatch"
    full_text: bool = True
    concurrency_per_domain: int = Field(2, ge=1, le=32)
    download_delay: float = Field(1.0, ge=0, le=3600)
    request_timeout: Duration = 30
    max_body_bytes: int = Field(15 * 1024 * 1024, ge=1024)
    max_redirects: int = Field(5, ge=0, le=20)
    crawl_time_limit: Duration = parse_duration("20m")
    allow_private_addresses: bool = False
    allowed_networks: list[str] = []
    obey_robots_txt: bool = True
    # Processes that extract article pages during a crawl: "auto" is one per core, 0 extracts
    # in the crawl process itself (crawler.extract_pool).
    extract_workers: int | Literal["auto"] = "auto"
    extract_timeout: Duration = 60

    @field_validator("extract_workers", mode="before")
    @classmethod
    def _extract_workers(cls, value: Any) -> Any:
        if value == "auto":
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 64:
            return value
        raise ValueError(
            "expected auto (one worker per core) or a number of worker processes from 0 to 64, "
            f"got {value!r}"
        )

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(str(entry).strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"expected an IP address or network such as 10.0.0.0/8, got {entry!r}"
                ) from None
        return value

    @model_validator(mode="after")
    def _bounds(self) -> CollectSettings:
        if self.min_interval > self.max_interval:
            raise ValueError("min_interval must not exceed max_interval")
        return self


class QueueSettings(_Strict):
    """``queue:``: crawl on many machines. The daemon plans and sends shards of due targets to
    ``borderwatch worker`` processes through a Redis broker (Dramatiq); without this section
    everything runs in one process as before (docs/scale-out.md)."""

    broker: str
    namespace: str = Field("borderwatch", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    lease: Duration = parse_duration("30m")
    worker_timeout: Duration = parse_duration("60s")

    @field_validator("broker")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not re.match(r"^(redis|rediss|unix)://", value):
            raise ValueError(
                f"expected a Redis URL such as redis://127.0.0.1:6379/0, got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _lease_outlasts_heartbeats(self) -> QueueSettings:
        if self.lease < 2 * self.worker_timeout:
            raise ValueError("lease must be at least twice worker_timeout")
        return self


class ProcessingSettings(_Strict):
    story_window_days: int = Field(14, ge=1, le=365)
    near_duplicate_threshold: float = Field(0.4, gt=0, le=1)
    # Tags need evidence: a match in the title or lede (lede_words of the summary, else of the
    # text), else tag_mentions separate mentions in the whole article (a tag may set its own),
    # else a paragraph the query matches with tag_paragraph_mentions mentions (0: not enough).
    lede_words: int = Field(60, ge=0, le=10_000)
    tag_mentions: int = Field(4, ge=1, le=1000)
    tag_paragraph_mentions: int = Field(3, ge=0, le=1000)


_NAME = r"^[a-z0-9][a-z0-9_-]*$"


def _query_from_text(value: Any) -> Any:
    """A query written as plain text is the ``query`` of its section."""
    if isinstance(value, str):
        return {"query": value}
    if not isinstance(value, dict):
        raise ValueError(f"expected a query (text) or a mapping of settings, got {value!r}")
    return value


class TopicSettings(_Strict):
    """The topic: one query, or named clauses (an article counts when one matches, and the
    first that matches is stored as the reason), with named term lists both can use as @name."""

    query: str | None = None
    clauses: dict[str, str] = {}
    terms: dict[str, str] = {}

    @field_validator("clauses", "terms")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not re.match(_NAME, str(name)):
                raise ValueError(f"name {name!r}: expected lower-case letters, digits, - or _")
        return value

    @model_validator(mode="after")
    def _one_form(self) -> TopicSettings:
        if self.query is not None and self.clauses:
            raise ValueError("expected either a query or clauses (named queries), not both")
        if self.query is None and not self.clauses:
            raise ValueError("expected a query, or clauses (named queries)")
        return self


class TagSettings(_Strict):
    """A tag: its query, the mentions that count without a match in the opening (default:
    processing.tag_mentions), and those that count in one paragraph (default:
    processing.tag_paragraph_mentions; 0: a paragraph is not enough)."""

    query: str
    mentions: int | None = Field(None, ge=1, le=1000)
    paragraph_mentions: int | None = Field(None, ge=0, le=1000)


class ScheduleSettings(_Strict):
    timezone: str = "UTC"
    digest_time: str = "07:00"
    digest_grace: Duration = parse_duration("20h")
    # How long a stopping daemon waits for a running job (after ending its crawl) before exiting.
    stop_timeout: Duration = parse_duration("60s")
    # Health: how often the daemon checks, and when a source counts as failing or silent.
    health_interval: Duration = parse_duration("1h")
    failure_threshold: int = Field(3, ge=1)
    silence_factor: float = Field(4.0, ge=1)
    silence_min: Duration = parse_duration("1d")
    # Optional log file (relative to data_dir), rotated at log_max_bytes, keeping log_backups.
    log_file: str | None = None
    log_max_bytes: int = Field(10_000_000, ge=10_000)
    log_backups: int = Field(5, ge=0, le=100)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"expected an IANA time zone such as Asia/Karachi, got {value!r}"
            ) from None
        return value

    @field_validator("digest_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        try:
            time.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"expected a local time HH:MM, got {value!r}") from None
        return str(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def digest_clock(self) -> time:
        return time.fromisoformat(self.digest_time)


_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")


def check_address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError(f"expected an e-mail address like analyst@example.org, got {value!r}")
    return value


class DigestSettings(_Strict):
    recipients: list[str] = []
    outbox: str = "outbox"
    empty_day: Literal["note", "skip"] = "note"
    top_stories: int = Field(10, ge=1, le=100)
    silent_after: Duration = parse_duration("3d")
    failing_after: int = Field(2, ge=1)

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return [check_address(v) for v in value]


class SpikeSettings(_Strict):
    ratio: float = Field(1.5, ge=1)
    sigma: float = Field(2.0, ge=0)
    baseline_days: int = Field(14, ge=2, le=365)
    min_count: int = Field(3, ge=1)

    def rule(self):  # -> borderwatch.spikes.SpikeRule
        from borderwatch.spikes import SpikeRule

        return SpikeRule(self.ratio, self.sigma, self.baseline_days, self.min_count)


class EmailSettings(_Strict):
    host: str | None = None
    port: int = Field(587, ge=1, le=65535)
    security: Literal["plain", "starttls", "ssl"] = "starttls"
    sender: str = "borderwatch@localhost"
    username_env: str = "BORDERWATCH_SMTP_USER"
    password_env: str = "BORDERWATCH_SMTP_PASSWORD"
    ca_file: str | None = None
    timeout: Duration = 60
    retries: int = Field(4, ge=0, le=20)
    retry_delay: float = Field(30.0, ge=0, le=86400)
    unsubscribe: str | None = None

    @field_validator("sender")
    @classmethod
    def _sender_address(cls, value: str) -> str:
        return check_address(value)

    @field_validator("unsubscribe")
    @classmethod
    def _unsubscribe_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(https?://[^/\s]+|mailto:[^\s]+@[^\s]+)", value):
            raise ValueError(f"expected an https:// or mailto: address, got {value!r}")
        return value

    @property
    def unsubscribe_address(self) -> str:
        """Where List-Unsubscribe points: the configured address, else a mail to the sender."""
        return self.unsubscribe or f"mailto:{self.sender}?subject=unsubscribe"


# The kinds the crawler knows, from its registry (crawler/kinds/), which loads no parser.
FeedKind = Literal[tuple(KINDS)]  # type: ignore[valid-type]


class FeedSpec(_Strict):
    """One fetch target of a source: a feed, a search feed, a news sitemap or a listing page."""

    url: str
    kind: FeedKind = DEFAULT_KIND
    article_pattern: str | None = None
    next_pattern: str | None = None
    max_pages: int = Field(3, ge=1, le=50)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"expected an http or https URL, got {value!r}")
        return value

    @field_validator("article_pattern", "next_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"expected a regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _kind_options(self) -> FeedSpec:
        for option in KINDS[self.kind].requires:
            if not getattr(self, option):
                raise ValueError(f"a feed of kind {self.kind!r} needs an {option}")
        return self


def _feed_from_shorthand(value: Any) -> Any:
    return {"url": value} if isinstance(value, str) else value


class SourceSpec(_Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    language: str = Field(pattern=r"^[a-z]{2,3}$")
    feeds: list[Annotated[FeedSpec, BeforeValidator(_feed_from_shorthand)]] = Field(min_length=1)
    domains: list[str] = []
    full_text: bool | None = None
    interval: Duration | None = None
    refresh_updated: bool = False


class Config(_Strict):
    data_dir: str = "data"
    database: str | None = None
    text_retention_days: int | None = Field(None, ge=1, le=36500, strict=True)
    collect: CollectSettings = CollectSettings()
    queue: QueueSettings | None = None
    processing: ProcessingSettings = ProcessingSettings()
    topic: Annotated[TopicSettings, BeforeValidator(_query_from_text)]
    tags: dict[str, Annotated[TagSettings, BeforeValidator(_query_from_text)]] = {}
    schedule: ScheduleSettings = ScheduleSettings()
    digest: DigestSettings = DigestSettings()
    spikes: SpikeSettings = SpikeSettings()
    email: EmailSettings = EmailSettings()
    sources: list[SourceSpec] = []

    # Not part of the file: where it was read from, to resolve relative paths.
    base_dir: Path = Field(default=Path("."), exclude=True)
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("tags")
    @classmethod
    def _tag_names(cls, value: dict[str, TagSettings]) -> dict[str, TagSettings]:
        for name in value:
            # "*" means all relevant articles in daily_coverage; "relevant" is a column name.
            if not re.match(r"^[a-z0-9][a-z0-9_-]*$", str(name)) or name == "relevant":
                raise ValueError(f"tag name {name!r}: expected lower-case letters, digits, - or _")
        return value

    @model_validator(mode="after")
    def _unique_sources(self) -> Config:
        seen: set[str] = set()
        for source in self.sources:
            if source.key in seen:
                raise ValueError(f"source key {source.key!r} is used twice")
            seen.add(source.key)
        return self

    # -- derived paths ----------------------------------------------------------------------
    @property
    def data_path(self) -> Path:
        return _resolve(self.base_dir, self.data_dir)

    @property
    def staging_path(self) -> Path:
        return self.data_path / "staging"

    @property
    def outbox_path(self) -> Path:
        return _resolve(self.data_path, self.digest.outbox)

    def database_url(self, override: str | None = None) -> str:
        """The database to use: --db, then $BORDERWATCH_DATABASE_URL, then the file's setting."""
        url = override or os.environ.get(DATABASE_ENV) or self.database
        if url:
            return url
        return f"sqlite:///{self.data_path / 'borderwatch.sqlite'}"

    def source(self, key: str) -> SourceSpec | None:
        return next((s for s in self.sources if s.key == key), None)


def _resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path)


def locate_config(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--config``, else ./config.yaml, else $BORDERWATCH_CONFIG, else the packaged default."""
    if explicit:
        return Path(explicit)
    local = Path("config.yaml")
    if local.is_file():
        return local
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return PACKAGED_CONFIG


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read, validate and return the configuration; raise ConfigError with a one-line message."""
    location = locate_config(path)
    try:
        data = location.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{location}: cannot read the configuration: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{location}: not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            f"(line {line}); save the file as UTF-8"
        ) from None
    try:
        raw = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{location}:{where} not valid YAML: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{location}: not valid YAML: nested too deeply") from None
    base_dir = location.resolve().parent
    if location.resolve() == PACKAGED_CONFIG.resolve():
        # The packaged default keeps its data in the working directory, not site-packages.
        base_dir = Path.cwd()
    return config_from_mapping(raw, origin=str(location), base_dir=base_dir, path=location)


def config_from_mapping(
    raw: Any, *, origin: str = "config", base_dir: Path | None = None, path: Path | None = None
) -> Config:
    """Validate an already-parsed mapping (used by tests and the demo)."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: expected a mapping of settings at the top level")
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {_describe(exc, raw)}") from None
    config = config.model_copy(update={"base_dir": base_dir or Path.cwd(), "path": path})
    _check_queries(config, origin)
    return config


def _check_queries(config: Config, origin: str) -> None:
    """Parse every query of the configuration; the first error names its key."""
    from pipeline.query import QuerySyntaxError, parse_query

    topic = config.topic
    named = [(f"topic.terms.{k}", v) for k, v in topic.terms.items()]
    if topic.query is not None:
        named.append(("topic" if not topic.terms else "topic.query", topic.query))
    named += [(f"topic.clauses.{k}", v) for k, v in topic.clauses.items()]
    named += [(f"tags.{k}", v.query) for k, v in config.tags.items()]
    for key, text in named:
        try:
            parse_query(text, topic.terms)
        except QuerySyntaxError as exc:
            raise ConfigError(f"{origin}: {key}: {exc}") from None


def _describe(exc: ValidationError, raw: Any) -> str:
    """One line for the first error: the dotted key, what was expected and what was found."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    key = _dotted(loc, raw)
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
        return f"{key}: unknown key{hint}"
    if kind == "missing":
        return f"{key}: required key is missing"
    message = error["msg"]
    message = message.removeprefix("Value error, ")
    if "input" in error and kind not in ("value_error", "assertion_error"):
        message = f"{message}, got {error['input']!r}"
    return f"{key}: {message}"


def _dotted(loc: list[Any], raw: Any) -> str:
    parts: list[str] = []
    node = raw
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node):
                node = node[item]
                if isinstance(node, dict) and "key" in node:
                    label = f"[{node['key']}]"
            parts.append(label)
        else:
            if not isinstance(item, str) or item.startswith(("function-", "str", "dict")):
                continue
            node = node.get(item) if isinstance(node, dict) else None
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "(top level)"


_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "collect": CollectSettings,
    "processing": ProcessingSettings,
    "topic": TopicSettings,
    "schedule": ScheduleSettings,
    "digest": DigestSettings,
    "spikes": SpikeSettings,
    "email": EmailSettings,
    "sources": SourceSpec,
    "feeds": FeedSpec,
}


def _allowed_keys(parent: list[Any]) -> list[str]:
    names = [p for p in parent if isinstance(p, str) and not p.startswith("function-")]
    model: type[BaseModel] = Config
    if names:
        model = _SECTION_MODELS.get(names[-1], Config)
    return [n for n, f in model.model_fields.items() if not f.exclude]
