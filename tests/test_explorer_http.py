"""``borderwatch serve`` over HTTP: every route, every download against the CLI, bad parameters,
read-only access, credentials and hostile headlines, on a real server process and database."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shlex
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import lxml.html
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from borderwatch.cli import main
from borderwatch.config import config_from_mapping
from borderwatch.explorer.security import Credentials
from borderwatch.explorer.serve import build
from pipeline.store import Store
from tests.support import explorer_data
from tests.support.config import PG_ENV, base_config, write_config
from tests.support.explorer_server import fetch, serving, serving_app

TABLES = ("sources", "stories", "articles", "article_tags", "daily_coverage", "daily_volume",
          "feed_state", "runs")  # fmt: skip


BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get(PG_ENV) else [])


@pytest.fixture(scope="module", params=BACKENDS)
def database(request, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """(database URL, config path) of the explorer test data, once per back end."""
    folder = tmp_path_factory.mktemp(f"explorer-{request.param}")
    config = write_config(folder, base_config(folder))
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'explorer.sqlite'}"
        store = Store(url)
        explorer_data.build(store)
        store.close()
        yield url, config
        return
    server = os.environ[PG_ENV]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{schema}"
    store = Store(url)
    explorer_data.build(store)
    store.close()
    yield url, config
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="module")
def server(database) -> Iterator[str]:
    url, config = database
    with serving(config, url) as base:
        yield base


def cli(database: tuple[str, Path], argv: list[str]) -> str:
    url, config = database
    result = CliRunner().invoke(main, ["--config", str(config), "--db", url, *argv])
    assert result.exit_code == 0, result.output
    return result.output


def page(base: str, path: str) -> lxml.html.HtmlElement:
    answer = fetch(base + path)
    assert answer.status == 200, (path, answer.text[:2000])
    return lxml.html.fromstring(answer.text)


def download_links(document: lxml.html.HtmlElement) -> list[str]:
    return [a.get("href") for a in document.xpath("//div[@class='downloads']/a")]


EXPLORE = "/explore?" + urlencode(
    [("q", 'Torkham OR "ceasefire holds" OR طورخم'), ("within", "all"), ("tag", "talks"),
     ("tag", "ceasefire"), ("since", "2025-10-01"), ("until", "2025-10-26")]
)  # fmt: skip
PAGES = [
    "/",
    "/?days=90",
    "/?since=2025-09-01&until=2025-10-26&by=week",
    "/explore",
    EXPLORE,
    "/explore?country=AF&language=fa&by=month&since=2025-09-01",
    "/explore?q=Torkham&match_in=text&source=dawn&source=Radio%20Azadi",
    "/source?key=bbc",
    "/source?key=evil&days=7",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_and_download_equals_the_cli(server, database, path) -> None:
    """Each page answers; each of its tables downloads as CSV and JSON, and both are, byte for
    byte, the output of the command the download names."""
    document = page(server, path)
    links = download_links(document)
    assert links and len(links) % 2 == 0
    for link in links:
        answer = fetch(server + link)
        assert answer.status == 200, (link, answer.text)
        fmt = link.split("?")[0].rsplit(".", 1)[1]
        assert answer.headers["content-type"].startswith(
            "text/csv" if fmt == "csv" else "application/json"
        )
        assert "attachment" in answer.headers["content-disposition"]
        argv = shlex.split(answer.command)
        assert argv[:2] == ["borderwatch", "report"]
        # The page shows the same command beside the table.
        assert answer.command in document.text_content()
        assert answer.text == cli(database, [*argv[1:], "--format", fmt]), link


def test_story_page_lists_every_article_with_outlet_language_and_link(server, database) -> None:
    stories = json.loads(cli(database, ["report", "stories", "--since", "2025-10-26",
                                        "--until", "2025-10-26", "--format", "json"]))  # fmt: skip
    rtl = next(s for s in stories if s["title"] == explorer_data.RTL_STORY_TITLE)
    assert rtl["outlets"] == 3 and rtl["tags"] == "border, trade"
    document = page(server, f"/story?id={rtl['story_id']}")
    rows = document.xpath("//table[contains(@class, 'articles')]/tbody/tr")
    assert len(rows) == 3
    for n, (row, (source, title, language)) in enumerate(zip(rows, explorer_data.RTL, strict=True)):
        cells = row.xpath("./td")
        assert cells[2].text_content().strip() == language
        link = cells[3].xpath(".//a")[0]
        assert link.text_content() == title and link.get("dir") == "auto"
        assert link.get("href") == f"https://{source}.example/rtl/{n}"
    for link in download_links(document):
        answer = fetch(server + link)
        assert answer.text == cli(database, [*shlex.split(answer.command)[1:], "--format",
                                             link.split("?")[0].rsplit(".", 1)[1]])  # fmt: skip


def test_overview_shows_the_topic_tags_stories_and_failing_sources(server) -> None:
    document = page(server, "/?since=2025-10-13&until=2025-10-26")
    assert document.xpath("//h1")[0].text_content() == "Coverage, 13 Oct 2025 to 26 Oct 2025"
    # The ceasefire week spikes (the reports' known history).
    assert "Spike" in document.xpath("//p[@class='lede']")[0].text_content()
    tags = [f.text_content() for f in document.xpath("//figure[@class='multiple']/figcaption")]
    assert any(t.startswith("ceasefire") for t in tags) and len(tags) >= 4
    headlines = [h.text_content() for h in document.xpath("//p[@class='headline']")]
    assert explorer_data.RTL_STORY_TITLE in headlines
    health = document.xpath("//ul[@class='health']/li")
    assert len(health) == 1 and "BBC News" in health[0].text_content()
    assert "failing" in health[0].text_content()
    assert health[0].xpath(".//a")[0].get("href") == "/source?key=bbc"


def test_explore_shows_which_clause_matched(server) -> None:
    document = page(server, EXPLORE)
    rows = document.xpath("//table[contains(@class, 'matches')]/tbody/tr")
    clauses = {r.xpath("./td")[-1].text_content() for r in rows}
    assert clauses <= {"Torkham", '"ceasefire holds"', "طورخم"} and len(clauses) >= 2
    lede = document.xpath("//section[@aria-labelledby='attention']//p[@class='lede']")[0]
    assert "matches" in lede.text_content() and "the whole topic" in lede.text_content()


BAD = [
    ("/?days=0", "days=0: expected a number from 1 to"),
    ("/?days=abc", "days='abc': expected a whole number"),
    ("/?since=2025-13-01", "since='2025-13-01': expected a date"),
    ("/?since=2025-10-10&until=2025-10-01", "since 2025-10-10 is after until 2025-10-01"),
    ("/?by=year", "by='year': expected day or week or month"),
    ("/?colour=red", "unknown parameter 'colour'"),
    ("/?days=7&days=8", "days is given 2 times"),
    ("/explore?tag=tlaks", "unknown tag 'tlaks'"),
    ("/explore?country=ZZ", "unknown country 'ZZ'"),
    ("/explore?source=nosuch", "unknown source 'nosuch'"),
    ("/explore?q=" + quote("talks AND (Torkham"), 'unclosed "("'),
    ("/explore?q=" + quote("neg*tiat"), "a wildcard * is allowed only at the end"),
    ("/explore?q=%00", "control character U+0000"),
    ("/explore?tag=talks%00", "control character U+0000"),
    ("/explore?q=" + "a%20OR%20" * 900 + "b", "characters long; at most 4,000"),
    ("/explore?within=everything&q=x", "within='everything': expected topic or all"),
    ("/story?id=abc", "id='abc': expected a whole number"),
    ("/story", "id is missing"),
    ("/story?id=99999999999", "expected a number from 1 to"),
    ("/source", "key is missing"),
]


@pytest.mark.parametrize(("path", "message"), BAD)
def test_bad_parameters_get_one_message_and_400(server, path, message) -> None:
    answer = fetch(server + path)
    assert answer.status == 400, answer.text[:500]
    assert "Traceback" not in answer.text
    document = lxml.html.fromstring(answer.text)
    shown = " ".join(e.text_content() for e in document.xpath("//*[@role='alert']"))
    assert message in shown, shown
    # The same parameters on a download: one line of plain text.
    route, _, query = path.partition("?")
    name = {"/": "overview", "/explore": "explore", "/story": "story", "/source": "source"}[route]
    panel = {"overview": "attention", "explore": "attention", "story": "articles",
             "source": "trend"}[name]  # fmt: skip
    answer = fetch(f"{server}/{name}/{panel}.csv" + (f"?{query}" if query else ""))
    assert answer.status == 400
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text.startswith("error: ") and answer.text.count("\n") == 1
    assert message.split(":")[0].strip("'") in answer.text


def test_the_query_error_is_shown_under_the_box_with_a_caret(server) -> None:
    answer = fetch(server + "/explore?q=" + quote("talks AND (Torkham"))
    document = lxml.html.fromstring(answer.text)
    box = document.xpath("//input[@name='q']")[0]
    assert box.get("value") == "talks AND (Torkham" and box.get("aria-invalid") == "true"
    excerpt = document.xpath("//div[@id='q-error']/pre")[0].text_content().splitlines()
    assert excerpt[0] == "talks AND (Torkham" and excerpt[1].index("^") == 10


@pytest.mark.parametrize(
    ("path", "status"),
    [("/story?id=999999", 404), ("/source?key=nosuch", 404), ("/nowhere", 404),
     ("/explore/nosuch.csv", 404), ("/explore/attention.xml", 404), ("/story/articles.csv", 400)],
)  # fmt: skip
def test_what_does_not_exist_is_404(server, path, status) -> None:
    answer = fetch(server + path)
    assert answer.status == status
    assert "Traceback" not in answer.text


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_only_get_and_head(server, method) -> None:
    answer = fetch(server + "/", method=method)
    assert answer.status == 405 and answer.headers["allow"] == "GET, HEAD"
    assert fetch(server + "/", method="HEAD").status == 200


def test_every_response_carries_the_security_headers(server) -> None:
    for path in ("/", "/explore?q=x", "/story?id=abc", "/overview/attention.csv", "/nowhere"):
        headers = fetch(server + path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert "server-timing" in headers


def test_a_request_for_another_host_name_is_refused_on_loopback(server) -> None:
    # A page elsewhere reaching 127.0.0.1 through a name of its own (DNS rebinding).
    answer = fetch(server + "/", headers={"Host": "attacker.example:80"})
    assert answer.status == 421
    assert fetch(server + "/", headers={"Host": "localhost"}).status == 200


HOSTILE_PAGES = ["/?since=2025-10-20&until=2025-10-26", "/explore?q=Ceasefire%20OR%20Border",
                 "/source?key=evil", "/source?key=bbc"]  # fmt: skip


@pytest.mark.parametrize("path", HOSTILE_PAGES)
def test_hostile_headlines_are_text(server, path) -> None:
    answer = fetch(server + path)
    assert answer.status == 200
    document = lxml.html.fromstring(answer.text)
    assert not document.xpath("//script | //iframe | //img | //object | //embed")
    assert not document.xpath("//body//svg[not(contains(@class, 'chart') or @aria-hidden)]")
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        assert not any(name.lower().startswith("on") for name in element.attrib), element.attrib
        href = element.get("href") or ""
        assert not href.lower().startswith(("javascript:", "data:")), href
    visible = document.text_content()
    assert "\u202e" not in answer.text and "\u202c" not in answer.text
    if "evil" in path or "since" in path:
        assert f"<script>{explorer_data.MARKER}</script>Ceasefire talks resume" in visible
    if "evil" in path:
        assert '<b onclick="' in visible  # the outlet's name, as text
    if "bbc" in path:
        assert f"<script>{explorer_data.MARKER}</script> HTTP 503" in visible


def test_right_to_left_headlines_are_isolated(server) -> None:
    document = page(server, "/?since=2025-10-26&until=2025-10-26")
    link = document.xpath(f"//a[text()='{explorer_data.RTL_STORY_TITLE}']")[0]
    assert link.get("dir") == "auto"
    assert "Arabic" in fetch(server + "/static/explorer.css").text  # the font stack


# -- read-only access --------------------------------------------------------------------------
def _counts(url: str) -> dict[str, int]:
    store = Store(url)
    try:
        return {name: store.count(name) for name in TABLES}
    finally:
        store.close()


def _digest(url: str) -> str | None:
    if not url.startswith("sqlite"):
        return None
    return hashlib.sha256(Path(url.removeprefix("sqlite:///")).read_bytes()).hexdigest()


INJECTIONS = [
    "x'); DELETE FROM articles; --",
    "1; DROP TABLE articles",
    "' OR 1=1 --",
    "*/ UPDATE sources SET name='x' /*",
    "talks\"; INSERT INTO runs(job) VALUES('x'); --",
]


def test_no_parameter_writes_to_the_database(server, database) -> None:
    url, _ = database
    before, digest = _counts(url), _digest(url)
    statuses = set()
    for value in INJECTIONS:
        for path in (
            "/explore?" + urlencode({"q": value}),
            "/explore?" + urlencode({"q": value, "within": "all", "match_in": "text"}),
            "/explore?" + urlencode({"tag": value}),
            "/explore?" + urlencode({"source": value}),
            "/explore?" + urlencode({"country": value}),
            "/explore?" + urlencode({"language": value}),
            "/story?" + urlencode({"id": value}),
            "/source?" + urlencode({"key": value}),
            "/explore/matches.csv?" + urlencode({"q": value, "within": "all"}),
            "/?" + urlencode({"since": value}),
        ):
            answer = fetch(server + path)
            statuses.add(answer.status)
            assert answer.status in (200, 400, 404), (path, answer.status)
            assert "Traceback" not in answer.text
    assert statuses >= {200, 400, 404}
    assert _counts(url) == before
    assert _digest(url) == digest


def test_the_explorer_connection_refuses_to_write(database) -> None:
    url, config_path = database
    store = Store(url, read_only=True)
    try:
        with pytest.raises(Exception, match="(?i)read.?only"), store.transaction() as conn:
            conn.execute(text("UPDATE sources SET name = 'changed'"))
        # Not even through the driver's own connection.
        raw = store.engine.raw_connection()
        try:
            with pytest.raises(Exception, match="(?i)read.?only"):
                raw.cursor().execute("DELETE FROM runs")
        finally:
            raw.close()
    finally:
        store.close()
    reader = Store(url)
    try:
        assert "changed" not in set(reader.read_sql("SELECT name FROM sources")["name"])
        assert reader.count("runs") == 0
    finally:
        reader.close()


# -- who may connect -----------------------------------------------------------------------------
TOKEN = "s3cret-token-of-some-length"


def test_another_address_needs_credentials_or_serve_refuses(database, monkeypatch) -> None:
    url, config = database
    for name in ("BORDERWATCH_SERVE_TOKEN", "BORDERWATCH_SERVE_USER", "BORDERWATCH_SERVE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    args = ["--config", str(config), "--db", url, "serve", "--host", "0.0.0.0", "--port", "9"]
    refused = runner.invoke(main, args)
    assert refused.exit_code == 2
    lines = refused.output.strip().splitlines()
    assert len(lines) == 1 and "BORDERWATCH_SERVE_TOKEN" in lines[0]
    short = runner.invoke(main, args, env={"BORDERWATCH_SERVE_TOKEN": "short"})
    assert short.exit_code == 2 and "too short" in short.output
    half = runner.invoke(main, args, env={"BORDERWATCH_SERVE_USER": "analyst"})
    assert half.exit_code == 2 and "BORDERWATCH_SERVE_PASSWORD" in half.output


def _app(database, credentials: Credentials) -> Any:
    url, config_path = database
    import yaml

    raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config = config_from_mapping(raw, base_dir=config_path.parent)
    # As ``serve --host 0.0.0.0`` builds it, served here on 127.0.0.1 only.
    return build(config, url, host="0.0.0.0", credentials=credentials)


def test_a_token_is_required_and_traded_for_a_cookie(database) -> None:
    with serving_app(_app(database, Credentials(token=TOKEN))) as base:
        assert fetch(base + "/").status == 401
        assert fetch(base + "/", headers={"Authorization": "Bearer wrong-token"}).status == 401
        assert fetch(base + "/", headers={"Authorization": f"Bearer {TOKEN}"}).status == 200
        assert fetch(base + "/overview/attention.csv").status == 401
        # Any host name will do off loopback: the token protects it.
        assert fetch(base + "/", headers={"Host": "explorer.example", "Authorization":
                                          f"Bearer {TOKEN}"}).status == 200  # fmt: skip
        visit = fetch(base + f"/explore?tag=talks&token={TOKEN}")
        assert visit.status == 303 and visit.headers["location"] == "/explore?tag=talks"
        cookie = visit.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        name_value = cookie.split(";")[0]
        assert fetch(base + "/explore?tag=talks", headers={"Cookie": name_value}).status == 200
        assert fetch(base + "/?token=wrong-token-of-some-length").status == 401


def test_basic_authentication(database) -> None:
    import base64

    def basic(user: str, password: str) -> dict[str, str]:
        pair = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}

    with serving_app(_app(database, Credentials(user="analyst", password="pässword"))) as base:
        refused = fetch(base + "/")
        assert refused.status == 401 and refused.headers["www-authenticate"].startswith("Basic")
        assert fetch(base + "/", headers=basic("analyst", "wrong")).status == 401
        assert fetch(base + "/", headers={"Authorization": "Basic !!!"}).status == 401
        assert fetch(base + "/", headers=basic("analyst", "pässword")).status == 200


def test_credentials_in_the_environment_apply_on_loopback_too(database) -> None:
    url, config = database
    with serving(config, url, env={"BORDERWATCH_SERVE_TOKEN": TOKEN}) as base:
        assert fetch(base + "/").status == 401
        assert fetch(base + "/", headers={"Authorization": f"Bearer {TOKEN}"}).status == 200


def test_serve_refuses_a_missing_database_in_one_line(tmp_path) -> None:
    config = write_config(tmp_path, base_config(tmp_path))
    missing = tmp_path / "nothing.sqlite"
    result = CliRunner().invoke(
        main, ["--config", str(config), "--db", f"sqlite:///{missing}", "serve"]
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: no database at {missing}: run borderwatch collect (or borderwatch demo) first"
    )
    assert not missing.exists()


def test_csv_of_share_of_voice_parses(server) -> None:
    answer = fetch(server + "/explore/outlets.csv?since=2025-09-01&until=2025-10-26")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {r["source"] for r in rows} >= {"dawn", "tolo", "azadi", "bbc", "evil"}
    total = sum(float(r["share_of_voice_pct"]) for r in rows)
    assert abs(total - 100) < 0.1
    assert re.match(r"^\d+$", rows[0]["articles"])
