"""Alerts: a short message right away when a story breaks or a saved search finds a new story.

- :mod:`monitor.alerts.detect` — when a story breaks (outlets within hours, a second language, a
  key figure + theme rule), and what one recipient is owed (first alert, update, nothing);
- :mod:`monitor.alerts.message` — the alert's text and email;
- :mod:`monitor.alerts.recipients` — configured recipients and saved-search subscriptions;
- :mod:`monitor.alerts.service` — one check: send what is due, find new alerts, store, send.
"""
