"""``borderwatch browse``: the database in Datasette, with canned queries for the main reports."""
