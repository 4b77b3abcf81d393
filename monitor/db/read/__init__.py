"""The read layer: every question the CLI, the web app and reports ask of the archive.

Each function takes a session and returns records of :mod:`monitor.records`, never ORM rows, so
nothing above the storage layer can lazy-load, modify or outlive its session by accident.

- :mod:`monitor.db.read.items` – search, the export stream, one item's detail, the search facets;
- :mod:`monitor.db.read.stories` – story lists and one story's members and timeline;
- :mod:`monitor.db.read.sources` – the source list, source health, a crawl run's per-source outcomes;
- :mod:`monitor.db.read.digests` – past digests, their items and delivery attempts;
- :mod:`monitor.db.read.overview` – archive totals and the per-theme daily counts;
- :mod:`monitor.db.read.searches` – a saved search's archive search and its Atom feed.
"""
