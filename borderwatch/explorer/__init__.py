"""``borderwatch serve``: the coverage explorer, a read-only web application over the database.

- ``app``: the routes, rendering, downloads and errors (Starlette);
- ``pages``: what each page shows, as panels of ``borderwatch report`` calls;
- ``params``: a page's state read and checked from its address;
- ``views``, ``figures``, ``charts``: totals and inline SVG charts from the panels' reports;
- ``security``: loopback by default, credentials from the environment, headers;
- ``state``: the configuration, the read-only store and the matchers of recent queries.
"""
