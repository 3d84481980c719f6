"""Every article of the sample site: the content modules' articles gathered in one place.

The content modules (``articles_*``) import the plain data types of ``articles``; this module
imports them all, so nothing imports back up.
"""

from __future__ import annotations

from borderwatch.demo import articles_af, articles_intl, articles_native, articles_pk, articles_wire
from borderwatch.demo.articles import ArticleSpec


def sample_articles() -> tuple[ArticleSpec, ...]:
    """Every article of every outlet, in no particular order."""
    return (
        *articles_pk.ARTICLES,
        *articles_af.ARTICLES,
        *articles_intl.ARTICLES,
        *articles_native.ARTICLES,
        *articles_wire.ARTICLES,
    )
