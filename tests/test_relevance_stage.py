"""The relevance stage: what is known about the source, why an article counted, and tags that
need evidence where it matters (the opening, or mentions that recur)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text

from borderwatch.config import Config
from borderwatch.plan import processing_rules, source_rows
from pipeline.process import ProcessingRules, prepare_chunk, process_items
from pipeline.query import Query, parse_clauses, parse_query
from pipeline.stages.attribution import build_profiles, country_of_domain, resolve_sources
from pipeline.stages.relevance import add_normalized_text, apply_queries, tag_articles
from pipeline.store import Store
from tests.support.config import base_config, make_config

NOW = dt.datetime(2025, 11, 3, 12, 0)
CONFIGURED = [
    {"key": "dawn", "name": "Dawn", "country": "PK", "language": "en", "domains": ["dawn.com"]},
    {"key": "tolo", "name": "TOLOnews", "country": "AF", "language": "fa"},
]


def frame_of(rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns = {"title": None, "summary": None, "text": None}
    return add_normalized_text(pd.DataFrame([{**columns, **row} for row in rows]))


def reports_of(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Articles from (title, lede, body) rows: the lede is the summary, lede and body the text."""
    return frame_of(
        [{"title": t, "summary": lede, "text": f"{lede} {body}"} for t, lede, body in rows]
    )


def filler(words: int, seed: str = "word") -> str:
    return " ".join(f"{seed}{i}" for i in range(words))


def judge(
    frame: pd.DataFrame,
    topic: Query,
    tags: dict[str, Query],
    lede_words: int = 60,
    **mentions: int,
) -> pd.DataFrame:
    """``apply_queries`` with config.yaml's default evidence: 60 words of lede, 3 mentions."""
    needed = {name: mentions.get(name, 3) for name in tags}
    return apply_queries(frame, topic, tags, lede_words=lede_words, tag_mentions=needed)


@cache
def default_rules() -> ProcessingRules:
    """config.yaml's topic and tags, as the pipeline runs them."""
    from borderwatch.config import load_config

    return processing_rules(load_config(Path(__file__).parents[1] / "config.yaml"))


def default_tags(frame: pd.DataFrame, *names: str) -> list[list[str]]:
    """config.yaml's tags ``names`` on ``frame``, with its lede and mention settings."""
    rules = default_rules()
    return tag_articles(
        frame,
        {name: rules.tags[name] for name in names},
        lede_words=rules.lede_words,
        tag_mentions=rules.tag_mentions,
        paragraph_mentions=rules.paragraph_mentions,
    )


# --------------------------------------------------------------------------- sources


def test_articles_know_their_sources_country_and_language() -> None:
    from pipeline.stages.attribution import build_lookup

    frame = pd.DataFrame(
        {
            "source": ["dawn", "TOLOnews", "The Nation", None, "Reuters"],
            "source_url": [None, None, "https://nation.com.pk", None, "https://www.reuters.com"],
            "url": [
                "https://www.dawn.com/news/1",
                "https://tolonews.com/2",
                "https://nation.com.pk/3",
                "https://www.dawn.com/news/4",
                "https://www.reuters.com/5",
            ],
        }
    )
    resolved = resolve_sources(frame, build_lookup(CONFIGURED), build_profiles(CONFIGURED))
    assert resolved["source"].tolist() == ["dawn", "tolo", "nation.com.pk", "dawn", "reuters.com"]
    assert resolved["source_country"].tolist() == ["PK", "AF", "PK", "PK", None]
    assert resolved["source_language"].tolist() == ["en", "fa", None, "en", None]


@pytest.mark.parametrize(
    ("domain", "country"),
    [
        ("nation.com.pk", "PK"),
        ("ariananews.af", "AF"),
        ("bbc.co.uk", "GB"),
        ("geo.tv", None),  # .tv is sold worldwide
        ("example.io", None),
        ("reuters.com", None),
        ("europa.eu", None),
        (None, None),
    ],
)
def test_a_discovered_outlets_country_comes_from_its_country_code_domain(
    domain: str | None, country: str | None
) -> None:
    assert country_of_domain(domain) == country


# --------------------------------------------------------------------------- reasons


def test_the_first_matching_clause_is_the_reason() -> None:
    topic = parse_clauses(
        {
            "both-sides": "(Pakistan OR Islamabad) AND (Afghanistan OR Kabul) AND talks",
            "pk-press-names-afghan-side": "source.country:PK AND Kabul AND TTP",
            "crossing": "Torkham",
        }
    )
    frame = frame_of(
        [
            {"title": "Islamabad and Kabul resume talks at Torkham", "source_country": "PK"},
            {"title": "Kabul must act against TTP, says Asif", "source_country": "PK"},
            {"title": "Kabul must act against TTP, says Asif", "source_country": "AF"},
            {"title": "Torkham reopens", "source_country": None},
            {"title": "Cricket: Pakistan beat Afghanistan", "source_country": "PK"},
        ]
    )
    result = judge(frame, topic, {})
    assert result["relevant"].tolist() == [True, True, False, True, False]
    assert result["relevance_reason"].tolist() == [
        "both-sides",
        "pk-press-names-afghan-side",
        None,
        "crossing",
        None,
    ]


def test_a_topic_written_as_one_query_is_explained_by_its_alternatives() -> None:
    frame = frame_of([{"title": "Torkham closed"}, {"title": "Kabul talks"}])
    result = judge(frame, parse_query("Torkham OR (Kabul AND talks)"), {})
    assert result["relevance_reason"].tolist() == ["Torkham", "(Kabul AND talks)"]


# --------------------------------------------------------------------------- tag evidence


def test_a_tag_counts_in_the_opening_or_when_it_recurs() -> None:
    topic = parse_query("Torkham")
    tags = {"talks": parse_query("talks OR negotiat*"), "trade": parse_query("traders")}
    body = filler(80)
    gap = filler(20, "x")  # mentions further apart than MENTION_GAP are separate
    frame = frame_of(
        [
            # In the title.
            {"title": "Torkham talks resume", "text": body},
            # In the lede: the summary, else the beginning of the text.
            {"title": "Torkham reopens", "summary": f"{filler(50)} talks", "text": body},
            {"title": "Torkham reopens", "text": f"{filler(50)} talks {body}"},
            # Once, deep in the text: a passing mention.
            {"title": "Torkham reopens", "text": f"{body} talks {gap}"},
            # Three times deep in the text, far apart: it recurs.
            {"title": "Torkham reopens", "text": f"{body} talks {gap} negotiators {gap} talks"},
            # Three times, but in one breath: one mention.
            {"title": "Torkham reopens", "text": f"{body} talks and negotiators held talks"},
            # Not relevant: no tags, whatever the evidence.
            {"title": "Kabul talks", "text": "talks talks traders"},
        ]
    )
    result = judge(frame, topic, tags)
    assert result["tags"].tolist() == [["talks"], ["talks"], ["talks"], [], ["talks"], [], []]
    # A tag may ask for more, or with 1 count any mention as before evidence was weighed.
    stricter = judge(frame, topic, tags, talks=4)
    assert stricter["tags"].tolist() == [["talks"], ["talks"], ["talks"], [], [], [], []]
    any_mention = judge(frame, topic, tags, talks=1)
    assert any_mention["tags"].tolist() == [["talks"]] * 6 + [[]]
    # A shorter opening leaves the lede's mention behind.
    title_only = judge(frame, topic, tags, lede_words=0)
    assert title_only["tags"].tolist() == [["talks"], [], [], [], ["talks"], [], []]


def test_a_paragraph_about_a_subject_counts_and_a_remark_in_passing_does_not() -> None:
    """A tag also counts when its query matches one paragraph (a line of the text) with
    ``paragraph_mentions`` separate mentions there; the same mentions one per paragraph, or
    a paragraph the query does not match on its own, are not enough."""
    topic = parse_query("Torkham")
    tags = {
        "trade": parse_query("traders OR exporters OR (trucks AND stranded)"),
        "refugees": parse_query("returnees AND NOT iran"),
    }
    opening = f"Torkham talks resume {filler(70)}"
    gap = filler(20, "x")
    about = f"traders {gap} exporters {gap} traders"  # three separate mentions
    frame = frame_of(
        [
            # A paragraph about trade, deep in the text.
            {"title": "Torkham talks", "text": f"{opening}\n{filler(40)}\n{about}\n{filler(40)}"},
            # The same three mentions, one per paragraph: each only in passing.
            {
                "title": "Torkham talks",
                "text": f"{opening}\ntraders {gap}\nexporters {gap}\ntraders {gap}",
            },
            # Paragraphs may be separated by blank lines and end in a carriage return.
            {"title": "Torkham talks", "text": f"{opening}\r\n\r\n{about}\r\n"},
            # The query must match the paragraph on its own: "stranded" is elsewhere.
            {
                "title": "Torkham talks",
                "text": f"{opening}\ntrucks {gap} trucks {gap} trucks\nstranded",
            },
            # A NOT still looks at the whole article.
            {
                "title": "Torkham talks",
                "text": f"{opening}\nreturnees {gap} returnees {gap} returnees\niran",
            },
        ]
    )
    needed = {"trade": 5, "refugees": 5}
    in_one = {"trade": 3, "refugees": 3}
    found = apply_queries(
        frame, topic, tags, lede_words=60, tag_mentions=needed, paragraph_mentions=in_one
    )
    assert found["tags"].tolist() == [["trade"], [], ["trade"], [], []]
    # Without the paragraph rule (0), only the opening and the mentions in the whole text count.
    off = apply_queries(frame, topic, tags, lede_words=60, tag_mentions=needed)
    assert off["tags"].tolist() == [[], [], [], [], []]
    # A tag may ask for fewer or more in its paragraph.
    two = apply_queries(
        frame,
        topic,
        tags,
        lede_words=60,
        tag_mentions=needed,
        paragraph_mentions={"trade": 4, "refugees": 3},
    )
    assert two["tags"].tolist() == [[], [], [], [], []]
    # The paragraphs are the same whether the words come from the normalized columns or
    # straight from the raw text (the ingest's path).
    assert tag_articles(
        frame, tags, lede_words=60, tag_mentions=needed, paragraph_mentions=in_one
    ) == [
        ["trade"],
        [],
        ["trade"],
        [],
        [],
    ]


def test_the_default_tags_count_a_paragraph_about_a_second_subject() -> None:
    """config.yaml's evidence: a talks report with one paragraph on the stranded trucks and the
    traders' losses is also about trade; one sentence in passing is not."""
    lede = (
        "Delegations of the two sides met mediators in Istanbul on Monday for a third round of "
        "talks on the ceasefire, officials said."
    )
    talks = (
        "The talks focused on a mechanism to verify the truce, and the mediators said both "
        "delegations had agreed to meet again."
    )
    paragraph = (
        "At Torkham, hundreds of trucks loaded with fruit and vegetables remained stranded on "
        "Monday for a fifth week, drivers said. Owners of the lorries parked along the road "
        "to Landi Kotal say they have run out of money for food and fuel, and transporters "
        "who spoke to reporters said some drivers had sold their spare tyres to pay for meals. "
        "In Peshawar, the fruit market's traders said their losses since October had passed "
        "two billion rupees."
    )
    passing = "Trucks have been stranded at Torkham since October."
    frame = reports_of(
        [
            ("Istanbul round ends", lede, f"{talks}\n{paragraph}\n{talks}"),
            ("Istanbul round ends", lede, f"{talks}\n{passing}\n{talks}"),
        ]
    )
    assert default_tags(frame, "talks", "trade") == [["talks", "trade"], ["talks"]]


def test_a_tag_must_match_the_whole_article_not_just_its_opening() -> None:
    topic = parse_query("Torkham")
    tags = {"border": parse_query("(closed OR reopened) AND NOT cricket")}
    frame = frame_of(
        [
            {"title": "Torkham closed", "text": filler(70) + " cricket"},
            {"title": "Torkham closed", "text": filler(70)},
        ]
    )
    assert judge(frame, topic, tags)["tags"].tolist() == [[], ["border"]]


def test_an_exclusion_by_the_opening_ignores_a_passing_remark_deep_in_the_text() -> None:
    """`NOT opening:...` drops articles whose title or lede is about the excluded subject, not
    those that mention it once in a late paragraph (a briefing that also speaks of the LoC)."""
    topic = parse_query('Kabul AND talks AND NOT opening:("Line of Control" OR LoC)')
    late = f"{filler(80)} The spokesman also spoke of the Line of Control."
    frame = frame_of(
        [
            {"title": "Delegation for next round of talks with Kabul", "text": late},
            {"title": "LoC ceasefire holds, FO says", "text": f"Kabul talks {filler(10)}"},
            {"title": "FO briefing", "summary": "Kabul talks; the Line of Control", "text": late},
            {"title": "Talks with Kabul", "text": f"{filler(20)} Line of Control {filler(60)}"},
        ]
    )
    assert judge(frame, topic, {})["relevant"].tolist() == [True, False, False, False]
    # Without the scope, the same words anywhere exclude the article.
    anywhere = parse_query('Kabul AND talks AND NOT ("Line of Control" OR LoC)')
    assert judge(frame, anywhere, {})["relevant"].tolist() == [False, False, False, False]
    # One text on its own: its first 60 words are its opening.
    assert topic.matches(f"Kabul talks {late}")
    assert not topic.matches(f"Kabul talks {late}", opening_words=200)


def test_the_default_topic_keeps_a_long_report_that_names_a_confusable_in_passing() -> None:
    rules = default_rules()
    talks = (
        "Lt Gen Asim Malik will lead the delegation for the next round of talks with the Afghan "
        "Taliban regime, the Foreign Office said on Friday."
    )
    late = (
        f"{filler(120)} The spokesman also said Pakistan remained committed to the ceasefire "
        "along the Line of Control."
    )
    frame = frame_of(
        [
            {"title": "NSA to lead delegation for next round with Kabul", "summary": talks,
             "text": f"{talks} {late}"},
            {"title": "DGMOs speak as LoC ceasefire holds", "summary": talks, "text": talks},
        ]
    )  # fmt: skip
    frame["source_country"] = "PK"
    result = judge(frame, rules.topic, {})
    assert result["relevant"].tolist() == [True, False]


def test_domestic_press_on_other_parties_talks_at_the_same_venues_is_not_counted() -> None:
    """In Pakistani and Afghan outlets the venue alone counts ("Istanbul round ends without a
    deal"), and so does the truce, but not when the opening names other parties that meet
    there or keep truces of their own."""
    rules = default_rules()
    rows = [
        ("Istanbul round ends without a deal",
         "The second round of talks in Istanbul ended on Friday without a joint statement."),
        ("Sudan's warring parties return to Jeddah talks",
         "Delegations of the army and the Rapid Support Forces began a new round in Jeddah."),
        ("Houthi delegation arrives in Riyadh for talks",
         "A Yemeni delegation began a new round of talks with Saudi officials in Riyadh."),
        ("US and Russian delegations meet in Riyadh",
         "The first round of talks between Washington and Moscow in Riyadh ended on Tuesday."),
        # "The truce", extended or violated, is this frontier's in domestic press, not Yemen's.
        ("Ceasefire violations reported along Kurram border",
         "Forces across the border violated the ceasefire twice in two days, officials said."),
        ("Yemen truce extended by two months",
         "The UN envoy said the warring parties had agreed to extend the truce."),
    ]  # fmt: skip
    for country in ("PK", "AF"):
        frame = frame_of([{"title": title, "summary": lede, "text": lede} for title, lede in rows])
        frame["source_country"] = country
        result = judge(frame, rules.topic, {})
        assert result["relevant"].tolist() == [True, False, False, False, True, False], country
        reasons = result["relevance_reason"].tolist()
        assert reasons[0] == "talks-named-by-venue"
    # Kurram is Pakistan's side: an Afghan outlet names it, a Pakistani one names no side.
    assert reasons[4] == "af-press-names-pakistan-side"
    frame["source_country"] = "PK"
    assert judge(frame, rules.topic, {})["relevance_reason"].tolist()[4] == (
        "frontier-in-domestic-press"
    )


def test_talks_between_the_two_sides_count_from_any_outlet_unless_other_parties_are_named() -> None:
    """Wires and unknown outlets tell the talks and the truce without the countries: "the two
    sides" or their hosts and mediators, with the border or at a venue, count from any outlet;
    the same words about Gaza, Russia and Ukraine, or a tribal truce, do not, even when only
    the body names the parties."""
    rules = default_rules()
    rows = [
        ("Third round ends without deal as hosts announce pause",
         "The third round of talks between the two neighbours ended in Istanbul with no deal,"
         " and the Turkish hosts said the process would be paused.", ""),
        ("Mediators announce border truce extended indefinitely",
         "Both sides agreed to keep the ceasefire along the border, the mediators said.", ""),
        ("سرحدی جنگ بندی کو دو ماہ مکمل",
         "اکتوبر میں دوحہ میں طے پانے والی سرحدی جنگ بندی کو دو ماہ مکمل ہو گئے ہیں۔", ""),
        # The same words about other parties.
        ("Mediators say ceasefire holding despite violations",
         "Mediators in Doha said the ceasefire was holding and urged both sides to restraint.",
         "Israel and Hamas traded accusations of violations in Gaza."),
        ("Second day of talks in Istanbul ends",
         "The two delegations, hosted by Turkish officials in Istanbul, agreed only to swap"
         " prisoners and the bodies of fallen soldiers.", ""),
        ("Grand jirga extends truce on the border of two tribes",
         "Elders of both sides agreed at a tribal jirga to extend the truce for six months.", ""),
        # A round named by its number, nobody named: nothing says whose it is.
        ("Third round ends with no date set for the next",
         "The third round of negotiations ended without a date for further meetings.", ""),
    ]  # fmt: skip
    frame = reports_of(rows)
    result = judge(frame, rules.topic, {})
    assert result["relevant"].tolist() == [True, True, True, False, False, False, False]
    assert set(result["relevance_reason"].tolist()[:3]) == {"talks-between-two-sides"}


def test_a_truce_between_tribes_at_a_jirga_is_not_this_frontiers() -> None:
    """Kurram's tribes keep truces of their own, agreed at jirgas: an opening that reports one
    is not the Afghanistan-Pakistan truce, even when the text names both sides' districts; but
    elders at a jirga asking both forces to respect the truce on the border speak of this one."""
    rules = default_rules()
    rows = [
        ("Grand jirga extends truce between two Kurram tribes by six months",
         "Elders of the Bushehra and Malikhel tribes agreed at a grand jirga in Parachinar to"
         " extend their truce.",
         "The road to Peshawar reopened. Traders from Paktia across the Afghan border welcomed"
         " the news."),
        ("Kurram elders ask both sides to pull back forward posts as ceasefire holds",
         "A jirga of tribal elders says the truce has brought quiet nights and asks Pakistani"
         " and Afghan forces to move their posts away from border villages.", ""),
    ]  # fmt: skip
    frame = reports_of(rows)
    frame["source_country"] = "PK"
    result = judge(frame, rules.topic, {})
    assert result["relevant"].tolist() == [False, True]
    assert result["relevance_reason"].tolist()[1] == "both-sides"


def test_the_default_talks_tag_knows_a_negotiating_delegation_from_any_other() -> None:
    """A delegation or a meeting is the negotiations near what marks them (a venue, a host,
    a mediator, both sides); a chamber's delegation, a governor's meeting or a complaint lodged
    with the mediators is not, and the complaint is the truce's. In Dari, فرستاده alone is
    "sent", not "envoy"."""
    rows = [
        ("Afghan delegation lands in Istanbul",
         "The Afghan delegation arrived in Istanbul on Sunday, Turkish officials said."),
        ("Sarhad chamber delegation crosses into Jalalabad",
         "A twelve-member delegation of the chamber met Nangarhar's traders on Monday."),
        ("Governor meets transporters over stranded trucks",
         "A delegation of goods transporters met the governor on Tuesday in Peshawar."),
        ("Islamabad lodges complaint with the mediators",
         "Pakistan lodged a complaint with the Qatari and Turkish mediators over firing."),
        ("Mediators announce the truce is extended",
         "Qatar and Turkey said the truce had been extended by a month."),
        ("هیئت علما با سرکنسول پاکستان دیدار کرد",
         "هیئتی از علمای قندهار خواستار آزادی طالبانی شد که برای اخراج فرستاده شده‌اند."),
        # A round is the talks' when the talks' context is near: a polio campaign has rounds.
        ("Next round slips to after Ramadan, hosts say",
         "The next round between the two sides will not open before Eid, a diplomat of the "
         "host country said."),
        ("دور تازه واکسین پولیو در قندهار آغاز شد",
         "دور تازه کمپاین واکسین پولیو در ولسوالی‌های قندهار آغاز شد."),
        # Urdu writes "telephone" in one word or two.
        ("ترک وزیر خارجہ کا اسحاق ڈار کو ٹیلی فون، جنگ بندی برقرار رکھنے پر زور",
         "حاقان فیدان نے اسحاق ڈار سے ٹیلی فون پر بات کی۔"),
    ]  # fmt: skip
    frame = frame_of([{"title": title, "summary": lede, "text": lede} for title, lede in rows])
    frame["source_country"] = "PK"
    found = default_tags(frame, "talks", "ceasefire")
    assert [sorted(t) for t in found] == [
        ["talks"],
        [],
        [],
        ["ceasefire"],
        ["ceasefire", "talks"],
        [],
        ["talks"],
        [],
        ["ceasefire", "talks"],
    ]


def test_the_default_border_tag_reads_the_traffic_at_a_named_crossing() -> None:
    """The state of a crossing is often told by its traffic (trucks queued, pedestrians let
    through, tokens and timings), and in Dari and Pashto its verb comes a dozen words after
    the crossing's name; returns through a crossing are not its state."""
    rows = [
        ("Torkham: pedestrians get tokens, trucks wait another day",
         "Officials at Torkham handed out tokens to pedestrians on Monday."),
        ("Returns through Torkham hit a record, IOM says",
         "More than 4,000 Afghans returned from Pakistan on Sunday, the IOM said."),
        ("بازار ویش دوباره جان گرفت",
         "دروازه سپین‌بولدک و چمن پس از هفته‌ها به روی موترهای باربری باز شد."),
        ("انګور اډه یوازې د پلیو مسافرو لپاره د درې ورځو لپاره پرانیستل شوه",
         "چارواکو وویل چې تګ راتګ به د درې ورځو لپاره وي."),
        # Works on the frontier line change its state; an attack on a border post does not.
        ("Pakistani forces put up new fence along the Durand Line in Paktia",
         "Residents said troops began erecting a new section of fence on Sunday."),
        ("Militants attack border post in Bajaur, two soldiers martyred",
         "Militants attacked a border post in Bajaur overnight, the ISPR said."),
        ("Torkham opens to Afghan patients and students",
         "Pakistan has begun allowing patients and students with visas to cross at Torkham."),
        # Every crossing by name, the smaller ones too.
        ("Bajaur jirga demands reopening of Nawa Pass",
         "Elders said families have been cut off from their relatives since October."),
        # Returns through a crossing, in Pashto: "via" (له لارې) is not a lorry.
        ("له کراچۍ شړل شوي سلګونه کډوال د سپین بولدک له لارې راستانه شول",
         "کډوال د سپین بولدک له لارې خپلو کورونو ته راستانه شول."),
        # "The door to talks is not closed" is no gate of the border, in Urdu or Dari; a gate
        # that is shut is.
        ("خواجہ آصف: مذاکرات کا دروازہ بند نہیں",
         "وزیر دفاع نے کہا کہ مذاکرات کا دروازہ بند نہیں مگر ضمانت کے بغیر آگے نہیں بڑھیں گے۔"),
        ("متقی: دروازه مذاکره باز است",
         "وزیر خارجه گفت دروازه مذاکره با همسایه باز است."),
        ("طورخم کا دروازہ تیسرے ہفتے بھی بند",
         "طورخم کا دروازہ مسلسل تیسرے ہفتے بھی ہر قسم کی آمدورفت کے لیے بند رہا۔"),
    ]  # fmt: skip
    frame = frame_of([{"title": title, "summary": lede, "text": lede} for title, lede in rows])
    found = default_tags(frame, "border")
    assert found == [
        ["border"],
        [],
        ["border"],
        ["border"],
        ["border"],
        [],
        ["border"],
        ["border"],
        [],
        [],
        [],
        ["border"],
    ]


def test_the_default_topic_leaves_out_the_india_pakistan_crossing() -> None:
    """Attari-Wagah is India and Pakistan's crossing: Afghan goods stuck there do not make it
    this frontier's."""
    rules = default_rules()
    lede = (
        "Afghan dry fruit bound for India via Wagah stays stuck as the freeze between India and "
        "Pakistan enters its eighth month, traders said."
    )
    frame = frame_of([{"title": "Attari-Wagah stays shut to trade", "summary": lede, "text": lede}])
    frame["source_country"] = "PK"
    assert judge(frame, rules.topic, {})["relevant"].tolist() == [False]


# --------------------------------------------------------------------------- the pipeline


def config_for(tmp_path: Path) -> Config:
    raw = base_config(tmp_path)
    raw["sources"] = [
        {**source, "feeds": [f"https://{source['key']}.example.org/feed"]} for source in CONFIGURED
    ]
    raw["topic"] = {
        "terms": {"af": "Kabul OR Afghan*", "pk": "Islamabad OR Pakistan*"},
        "clauses": {
            "both-sides": "@pk AND @af AND (talks OR TTP)",
            "pk-press-names-afghan-side": "source.country:PK AND @af AND TTP",
        },
    }
    raw["tags"] = {"security": "TTP OR attack*", "talks": "talks"}
    return make_config(tmp_path, raw)


def rules_for(tmp_path: Path) -> ProcessingRules:
    return processing_rules(config_for(tmp_path))


def test_the_pipeline_stores_why_each_article_counted(tmp_path: Path, db_url: str) -> None:
    config = config_for(tmp_path)
    rules = processing_rules(config)
    store = Store(db_url)
    store.sync_sources(source_rows(config))
    items = [
        {"url": "https://dawn.com/1", "source": "dawn", "title": "Kabul must act against TTP"},
        {"url": "https://tolonews.com/2", "source": "tolo", "title": "Kabul must act against TTP"},
        {
            "url": "https://www.reuters.com/3",
            "source": "Reuters",
            "source_url": "https://www.reuters.com",
            "title": "Pakistan and Afghanistan resume talks",
        },
        {"url": "https://dawn.com/4", "source": "dawn", "title": "Budget passed"},
        {
            "url": "https://nation.com.pk/5",
            "source": "The Nation",
            "source_url": "https://nation.com.pk",
            "title": "Kabul must act against TTP",
        },
    ]
    process_items(items, rules, store, now=NOW)
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT url, relevant, relevance_reason FROM articles ORDER BY url")
        ).all()
        countries = dict(conn.execute(text("SELECT key, country FROM sources")).all())
    store.close()
    assert [(url, bool(relevant), reason) for url, relevant, reason in rows] == [
        ("https://dawn.com/1", True, "pk-press-names-afghan-side"),
        ("https://dawn.com/4", False, None),
        # A discovered outlet on a .pk domain is Pakistani press.
        ("https://nation.com.pk/5", True, "pk-press-names-afghan-side"),
        ("https://tolonews.com/2", False, None),
        ("https://www.reuters.com/3", True, "both-sides"),
    ]
    assert countries["reuters.com"] is None and countries["nation.com.pk"] == "PK"


def test_the_ingest_worker_sees_the_same_source_fields(tmp_path: Path) -> None:
    rules = rules_for(tmp_path)
    frame = prepare_chunk(
        [{"url": "https://dawn.com/1", "source": "dawn", "title": "Kabul must act against TTP"}],
        rules,
        NOW,
    )
    assert frame["relevance_reason"].tolist() == ["pk-press-names-afghan-side"]
    assert frame["tags"].tolist() == [["security"]]
