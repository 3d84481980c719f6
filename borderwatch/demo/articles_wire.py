"""One wire story carried by three outlets: the same agency text, each with its own intro,
byline, headline and ending, as papers really run agency copy. Deduplication should fold the
three into one story."""

from __future__ import annotations

from borderwatch.demo.articles import ArticleSpec

STORY = "istanbul-monitoring-mechanism"

# The agency's text that every outlet keeps unchanged.
_CORE = (
    "The agreement came at the end of three days of negotiations hosted by Türkiye and Qatar, "
    "which stalled twice over Islamabad's demand for written guarantees that Afghan territory "
    "would not be used by the Tehreek-e-Taliban Pakistan (TTP) to plan attacks inside Pakistan.",
    "According to a joint statement issued by the Turkish foreign ministry, the monitoring "
    "mechanism will be staffed by officials from both countries and from the two mediators. It "
    "will receive complaints of violations, verify them within an agreed period and recommend "
    "penalties for the side found at fault.",
    "Both delegations agreed that the ceasefire reached in Doha would stay in force while the "
    "technical details are settled at a further meeting in Istanbul. The statement did not say "
    "whether the main crossings at Torkham and Chaman, shut to traders since the clashes, would "
    "reopen.",
    "Pakistani officials said privately that the mechanism would only matter if it led to action "
    "against militant hideouts. A spokesman for the Taliban government said Kabul was committed "
    "to the truce and did not allow any group to threaten another country from Afghan soil.",
    "Scores of soldiers, militants and civilians were killed in the fighting along the "
    "2,600-kilometre frontier that preceded the Doha truce, the worst violence between the "
    "neighbours since the Taliban returned to power in 2021.",
)

_SUBJECTS = ("talks", "ceasefire", "security", "border")

ARTICLES: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        outlet="meridian-post",
        number=88412,
        slug="pakistan-afghanistan-agree-ceasefire-monitoring-mechanism",
        title="Pakistan and Afghanistan agree ceasefire monitoring mechanism at Istanbul talks",
        author="Trans-Asia Press",
        days_ago=1,
        hours_ago=6,
        summary="Mediators say a joint mechanism will verify violations of the Doha truce and "
        "recommend penalties.",
        paragraphs=(
            "ISTANBUL (TAP) - Pakistan and Afghanistan have agreed to set up a joint mechanism to "
            "monitor their fragile ceasefire and penalise violations, mediators said as talks "
            "between the two neighbours ended in Istanbul.",
            *_CORE,
            "Türkiye's foreign minister Hakan Fidan thanked both sides for what he called their "
            "patience and said his country would keep its channels open. (Reporting by Trans-Asia "
            "Press correspondents in Istanbul, Islamabad and Kabul.)",
        ),
        section="Asia",
        story=STORY,
        subjects=_SUBJECTS,
    ),
    ArticleSpec(
        outlet="khyber-ledger",
        number=20417,
        slug="pakistan-afghanistan-agree-mechanism-monitor-ceasefire-istanbul",
        title="Pakistan, Afghanistan agree on mechanism to monitor ceasefire after Istanbul talks",
        author="Ledger Report with Trans-Asia Press",
        days_ago=1,
        hours_ago=4.5,
        summary="Islamabad and Kabul will share a mechanism with Türkiye and Qatar to check "
        "complaints of ceasefire violations.",
        paragraphs=(
            "Pakistan and Afghanistan's Taliban government agreed in Istanbul on a joint system "
            "to police the ceasefire along their border, the mediators announced, in the first "
            "concrete result of the talks.",
            *_CORE,
            "In Peshawar, members of the customs agents' association said they would not load "
            "goods for Torkham until the government announced a date for the crossing to reopen.",
        ),
        story=STORY,
        subjects=_SUBJECTS,
    ),
    ArticleSpec(
        outlet="kabul-dispatch",
        number=5523,
        slug="afghanistan-pakistan-agree-to-monitor-ceasefire-through-joint-mechanism",
        title="Afghanistan and Pakistan agree to monitor ceasefire through joint mechanism",
        author="Dispatch News Desk / Trans-Asia Press",
        days_ago=1,
        hours_ago=3,
        summary="The Islamic Emirate and Pakistan agreed in Istanbul on a mechanism to verify "
        "the ceasefire, mediators said.",
        paragraphs=(
            "The Islamic Emirate and Pakistan agreed in Istanbul to create a mechanism that will "
            "monitor the ceasefire between the two countries, Turkish and Qatari mediators "
            "announced.",
            *_CORE,
            "The Islamic Emirate's delegation was expected back in Kabul later in the day, "
            "officials at the ministry of foreign affairs told Kabul Dispatch.",
        ),
        section="Region",
        story=STORY,
        subjects=_SUBJECTS,
    ),
)
