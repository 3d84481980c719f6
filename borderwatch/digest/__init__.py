"""The daily digest.

``compose`` reads a day's stories, tag trends and source health from the store (``health``
finds failing and silent sources); ``chart`` draws the 30-day trend; ``render`` fills the
templates; ``message`` assembles the e-mail; ``smtp`` hands it to a mail server; ``ledger``
records each send in the ``digests`` table so it happens once; ``deliver`` ties them together.
"""
