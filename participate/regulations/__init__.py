"""Draft regulations open for comment article by article (法規預告): agencies publish a
draft with its comparison table, people comment on an article or the whole draft, the
agency publishes a collated response table, then records the promulgated final text.

Nothing is imported here, so the policy, moderation and the API can import the area's
modules (``lifecycle``, ``visibility``, ``queries``) without pulling in its views.
"""
