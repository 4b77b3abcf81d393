"""Collection: sources → entries → decisions → stored items, with no Scrapy type anywhere here.

The Scrapy adapter lives in ``spiders/`` (it imports this package; nothing here imports it).

Reading bytes (pure):

- :mod:`~monitor.collect.records` — the value objects passed between the steps;
- :mod:`~monitor.collect.feeds`, :mod:`~monitor.collect.sitemaps`,
  :mod:`~monitor.collect.listings` — a feed, sitemap or listing page's bytes → entries
  (:mod:`~monitor.collect.feed_base`: when a feed can be parsed without its base URI);
- :mod:`~monitor.collect.charset`, :mod:`~monitor.collect.text`, :mod:`~monitor.collect.dates`,
  :mod:`~monitor.collect.xmlsafety` — what the parsers share;
- :mod:`~monitor.collect.extract` — an article page → its text, title, author and date;
  :mod:`~monitor.collect.extract_pool` runs it in worker processes;
- :mod:`~monitor.collect.discover` — the feeds a page is or announces.

Deciding (pure):

- :mod:`~monitor.collect.plan` — store, copy, fetch or skip each entry;
- :mod:`~monitor.collect.polling` — when a source is due and its fetch state after a run.

Keeping account of a run:

- :mod:`~monitor.collect.crawl` — ``run_crawl``: pick the sources, run the engine, close the run;
- :mod:`~monitor.collect.collector` — one run's parts, wired together:
  :mod:`~monitor.collect.tally` (what happened to each source),
  :mod:`~monitor.collect.ledger` (work in flight per source, the guard around every step),
  :mod:`~monitor.collect.batches` (items stored in all-or-nothing batches, with the stages),
  :mod:`~monitor.collect.store_items` (one entry → a new item, a revision, or nothing),
  :mod:`~monitor.collect.outcome` (a done source's run row and fetch state),
  :mod:`~monitor.collect.progress` and :mod:`~monitor.collect.timings`;
- :mod:`~monitor.collect.stages` — the stages every stored item passes (judge, then fold).

Identity keys (entry key, title key, content fingerprint) are :mod:`monitor.identity`; URL
canonicalisation is :mod:`monitor.urls`.
"""
