"""The Scrapy adapter: everything that speaks Scrapy or Twisted, above :mod:`monitor.collect`.

- :mod:`spiders.collect` — the collection spider: responses → parsers → planned decisions;
- :mod:`spiders.steps` — callbacks and errbacks as guarded steps of their source;
- :mod:`spiders.pipelines` — items → the run's batch writer;
- :mod:`spiders.extraction` — article extraction, in worker processes or in the crawl process;
- :mod:`spiders.failures` — a failed download → a message for the operator;
- :mod:`spiders.middlewares` — retries with back-off;
- :mod:`spiders.robots` — a host's robots.txt, read before any other request to it;
- :mod:`spiders.settings` — ``crawl:`` settings → Scrapy settings (the only place that names them);
- :mod:`spiders.process` — the reactor guard and starting a crawl in this process;
- :mod:`spiders.discover` — feed autodiscovery's one fetch.
"""
