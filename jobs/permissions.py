"""Rules of the jobs' pages: a job and its file are its starter's alone."""

import rules

from shanghai_experts.permissions import has_organisation


@rules.predicate
def started_job(user, job) -> bool:
    return job is not None and job.user_id == user.pk


rules.add_perm("jobs.list_own_jobs", has_organisation)
rules.add_perm("jobs.see_own_job", has_organisation & started_job)
