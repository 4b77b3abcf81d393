"""Digests: per-recipient selection of new stories, Jinja2 rendering, SMTP delivery.

Entry point: :func:`monitor.digest.service.run_digest`. Modules, in data-flow order:
``build`` (pending items → :class:`~monitor.digest.model.DigestView`), ``render`` (Jinja2 HTML with
inlined CSS, plain text, pages), ``message`` (the MIME message), ``smtp`` (delivery with retries),
``site`` (the static site of past digests), ``service`` (the orchestration and its guarantees).
"""
