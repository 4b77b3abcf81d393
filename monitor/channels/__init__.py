"""Delivery channels and the rules every delivery follows.

- :mod:`monitor.channels.outcome` — one attempt's outcome (accepted, temporary, permanent, error);
- :mod:`monitor.channels.apprise_send` — Apprise targets (webhook/JSON, ntfy, Matrix, Telegram,
  Slack, …): the URL from the environment, attempts with back-off, outcomes from the answer;
- :mod:`monitor.channels.outbox` — sending one stored message to several targets at most once
  each: a durable note the moment a target accepts, then the archive (``sends``).
"""
