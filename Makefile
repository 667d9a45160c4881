# 专家服务基层 申报评审系统 — every target sets up what it needs on a fresh Debian machine.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
APT_PACKAGES := fonts-noto-cjk fonts-dejavu-core libharfbuzz-subset0 libpango-1.0-0 \
	libpangoft2-1.0-0 fontconfig poppler-utils chromium
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint deps lock system-deps venv demo bench prod prod-demo prod-prepare restart-bench load-bench backup restore purge send-mail clean

# Production mode on this machine: PostgreSQL, gunicorn, WhiteNoise, DEBUG off. The application
# connects as a role that owns nothing; deploy/prepare_postgres.py makes the roles and the
# database DATABASE_URL names, and migrates as the owner.
PROD_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://shanghai_app@127.0.0.1:5432/shanghai_experts)
# Links in e-mails lead to the address the server was started on (make run/prod HOST= PORT=)
# unless SITE_URL says otherwise.
LINK_HOST = $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
SITE_ENV = SITE_URL="$${SITE_URL:-http://$(LINK_HOST):$(PORT)}"
# Production mail goes out by SMTP, configured from the environment (EMAIL_HOST, EMAIL_PORT,
# EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS/EMAIL_USE_SSL, DEFAULT_FROM_EMAIL);
# check --deploy refuses to start without EMAIL_HOST. Only prod-demo keeps mail in var/mail.
MAIL_ENV = EMAIL_BACKEND="$${EMAIL_BACKEND:-django.core.mail.backends.smtp.EmailBackend}"
prod-demo: MAIL_ENV = ALLOW_DEMO_MAIL=1 \
	EMAIL_BACKEND="$${EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend}" \
	EMAIL_FILE_PATH="$${EMAIL_FILE_PATH:-var/mail}"
PROD_ENV = DEBUG=0 DATABASE_URL=$(PROD_DATABASE_URL) CONN_MAX_AGE=60 \
	SECRET_KEY="$${SECRET_KEY:-$$(cat var/secret_key)}" ALLOWED_HOSTS="$${ALLOWED_HOSTS:-$(LINK_HOST),127.0.0.1,localhost}" \
	HTTPS="$${HTTPS:-0}" PRIVATE_MEDIA_ROOT="$${PRIVATE_MEDIA_ROOT:-var/private}" \
	GUNICORN_BIND="$${GUNICORN_BIND:-$(HOST):$(PORT)}" $(SITE_ENV) $(MAIL_ENV) \
	REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:6379/0}"

run: deps  ## Migrate an SQLite database, load demo data and serve on http://127.0.0.1:8000 (HOST=, PORT=)
	$(PY) manage.py migrate --noinput
	$(SITE_ENV) $(PY) manage.py load_demo
	$(SITE_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# The suite runs on every core (pytest-xdist: 4 workers on a 2-core machine), each
# worker with a database of its own (test_<name>_gw0, _gw1 …); worksteal hands a worker that is
# done the waiting cases of the other, so the long URL-walk cases end together.
# PYTEST_WORKERS=0 runs it in one process (for --pdb); PYTEST_ARGS adds options. Two workers a
# core: many cases wait (browser timers, a gunicorn starting), and the cores idle while they do
# (6.5 min against 8 min for one a core, measured under the same load).
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))
test: deps lint  ## The whole test suite on every core (CI runs exactly this)
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

deps: system-deps $(VENV)/.installed

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Every package, the project's and its dev extra's, at the version requirements.lock names and
# with the hashes it lists: a machine installs exactly what was tested, or fails. Then the
# project itself, editable, with the setuptools the lock pinned (no download, no other version).
LOCK := requirements.lock
$(VENV)/.installed: $(LOCK) pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --require-hashes -r $(LOCK)
	$(PIP) install -q --no-deps --no-build-isolation -e .
	$(PIP) check  # a dependency pyproject.toml names but the lock lacks: run make lock
	touch $@

# Regenerate the lock from pyproject.toml (pip-tools, in the dev extra). To upgrade:
#   1. change the pin in pyproject.toml (a direct dependency), or nothing for the others;
#   2. make lock                  keeps every locked version that still fits pyproject.toml;
#      make lock UPGRADE=1        takes the newest release of every indirect dependency too;
#      make lock UPGRADE=pkg      (or UPGRADE="pkg1 pkg2") only those;
#   3. make test, and commit pyproject.toml and requirements.lock together.
# The index settings are the machine's pip configuration and stay out of the file.
lock: $(VENV)/.installed
	$(VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe --extra dev --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file $(LOCK) \
		$(if $(filter 1,$(UPGRADE)),--upgrade,$(foreach p,$(UPGRADE),--upgrade-package $(p))) \
		pyproject.toml

bench: deps  ## Print the benchmark figures (lists, 统计, 一览表 export, PDFs, onboarding) and a table of every target; non-zero if one is missed
	@status=0; out=$$(mktemp -d); \
	for script in queue_bench export_bench pdf_bench onboarding_bench; do \
		$(PY) benchmarks/$$script.py > $$out/$$script.txt 2>&1 || status=1; \
		cat $$out/$$script.txt; \
	done; \
	echo; echo "== every target of make bench =="; \
	for script in queue_bench export_bench pdf_bench onboarding_bench; do \
		grep -h -E "PASS|FAIL" $$out/$$script.txt | sed "s/^/$$script: /"; \
	done; \
	rm -rf $$out; exit $$status

prod: prod-prepare  ## Serve in production mode against PostgreSQL on http://127.0.0.1:8000: gunicorn, a Celery worker and beat on Redis, Ctrl-C stops all three (HOST=, PORT=; SMTP from EMAIL_HOST…); touches no data
	$(PROD_ENV) VENV=$(VENV) deploy/prod.sh

prod-demo: prod-prepare  ## The same, with the demo data and its published passwords, mail in var/mail (never for a real call)
	$(PROD_ENV) $(PY) manage.py load_demo --demo-on-production
	$(PROD_ENV) VENV=$(VENV) deploy/prod.sh

prod-prepare: deps
	./.ci/start-postgres
	./.ci/start-redis
	umask 077; mkdir -p var && test -s var/secret_key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	@# Files of an older installation: the secret key, scans and backups are the service user's alone.
	chmod -R go-rwx var/secret_key "$${PRIVATE_MEDIA_ROOT:-var/private}" "$${BACKUP_DIR:-var/backups}" 2>/dev/null || true
	$(PROD_ENV) $(PY) deploy/prepare_postgres.py
	$(PROD_ENV) $(PY) manage.py check --deploy --fail-level ERROR
	$(PROD_ENV) $(PY) manage.py collectstatic --noinput -v0

# Operations on the production database (PROD_DATABASE_URL); each is safe to run from cron.
PROD_OWNER_URL ?= $(or $(OWNER_DATABASE_URL),$(subst shanghai_app@,shanghai_owner@,$(PROD_DATABASE_URL)))

backup: deps  ## One dated archive of the database and the scans (var/backups or BACKUP_DIR)
	$(PROD_ENV) $(PY) manage.py backup

restore: deps  ## make restore FILE=var/backups/backup-….tar — into an empty database and scan folder
	@test -n "$(FILE)" || (echo "usage: make restore FILE=var/backups/backup-YYYYmmdd-HHMMSS.tar" && exit 2)
	$(PROD_ENV) DATABASE_URL=$(PROD_OWNER_URL) $(PY) manage.py restore "$(FILE)"
	$(PROD_ENV) DATABASE_URL=$(PROD_OWNER_URL) $(PY) manage.py grant_app_role $(shell $(PY) -c "from urllib.parse import urlsplit; print(urlsplit('$(PROD_DATABASE_URL)').username)")

purge: deps  ## Daily: expired sessions, old login rows, pseudonymise content past retention (as the owner: submitted content is insert-only for the application)
	$(PROD_ENV) DATABASE_URL=$(PROD_OWNER_URL) $(PY) manage.py purge_expired

send-mail: deps  ## Every minute: send notices that are due, retry failed ones
	$(PROD_ENV) $(PY) manage.py send_notices

restart-bench: deps  ## PostgreSQL restarts under the production server: errors once it is back (target 0)
	./.ci/start-postgres
	$(PY) benchmarks/restart_bench.py

load-bench: deps  ## Deadline-day load test of the production server (PostgreSQL, gunicorn)
	./.ci/start-postgres
	$(PY) benchmarks/load_bench.py

clean:
	rm -rf $(VENV) db.sqlite3
