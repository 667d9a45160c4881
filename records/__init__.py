"""The audit trail and the outbox: what happened, and the notices it sends.

A floor just above the core, so that every app (accounts, the forms, the review engine) can
record an event or queue a notice without knowing the review engine. The tables keep the names
they had in `reviews` (reviews_auditrecord, reviews_outboundmail): the append-only triggers, the
database roles and the backups name them.
"""
