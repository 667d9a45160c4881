"""Signals the core sends; apps above it (the audit trail in reviews) listen."""

from django.dispatch import Signal

#: A user chose a new password (sender: the User class; user, request).
password_changed = Signal()

#: A user changed their organisation's own record (sender: Organisation; organisation, user,
#: request, comment).
organisation_changed = Signal()

#: The retention purge runs (sender: None; now, cutoff). Apps above the core delete their own
#: expired personal data and return (what, how many) for the report.
purging = Signal()
