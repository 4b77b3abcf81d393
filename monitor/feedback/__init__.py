"""Reviewer feedback: labels applied to the archive, and the topic measured against them.

- :mod:`monitor.feedback.apply` — store a label and make the archive agree with it at once
  (relevance; a story joined or split);
- :mod:`monitor.feedback.evaluate` — ``monitor eval``: the current topic's precision and recall
  per language against every relevance label, the stories against every same-story label, and
  the rules and terms behind each disagreement.
"""
