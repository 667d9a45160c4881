"""Long work in the background: a job row per request for a file (a ZIP of forms, an export),
run by a Celery worker, with its progress, its file in the private storage and its expiry.

The row is the truth, not the broker: a job whose message was lost is sent again (beat), a
job run twice completes once. Higher floors register the kinds of job they offer
(`jobs.registry.register`); this floor knows none of them.
"""
