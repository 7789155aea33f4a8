# PROTECT Workspace — every command sets up what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
FLASK := $(BIN)/flask --app protect

.PHONY: run test lint format mutation bench bench-quick wrk nginx topology topology-programs install clean-venv translations \
	messages-extract messages-update

# The interface's catalogues (protect/translations/<language>/LC_MESSAGES/messages.po); the compiled .mo files
# are built here, never committed.
CATALOGUES := protect/translations
POT := $(CATALOGUES)/messages.pot
COMPILED := $(patsubst %.po,%.mo,$(wildcard $(CATALOGUES)/*/LC_MESSAGES/messages.po))

$(BIN)/activate:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime

## make translations: compile the catalogues that changed (make run and make test do it first)
translations: $(COMPILED)

%.mo: %.po | $(VENV)/.runtime
	$(BIN)/pybabel compile --statistics -i $< -o $@

## make messages-extract: write the catalogue template from the code and the templates (tests check it is current)
messages-extract: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k lazy_pgettext:1c,2 --add-comments=Translators: --sort-by-file \
		--add-location=file --no-wrap --project="PROTECT Workspace" --copyright-holder="PROTECT Workspace" -o $(POT) protect

## make messages-update: bring every catalogue up to the template (new messages empty, gone ones dropped)
messages-update: messages-extract
	$(BIN)/pybabel update -i $(POT) -d $(CATALOGUES) --no-wrap --no-fuzzy-matching --ignore-obsolete \
		--ignore-pot-creation-date
	$(BIN)/python tools/english_catalogue.py $(POT) $(CATALOGUES)/en/LC_MESSAGES/messages.po

## make run: set up, migrate the database, load the demo data on first run, serve on http://$(HOST):$(PORT)
## with the mail sender (flask mail-worker) beside the server
run: $(VENV)/.runtime translations
	$(FLASK) init-db
	$(FLASK) seed-demo --if-empty
	@echo ""
	@echo "PROTECT Workspace: http://$(HOST):$(PORT)/"
	@echo "Demo accounts (password for all: protect-demo-2015):"
	@echo "  admin@example.org      administrator  (Mette Sørensen, Denmark)"
	@echo "  moderator@example.org  moderator      (Kristīne Bērziņa, Latvia)"
	@echo "  expert@example.org     expert         (Jonas Petrauskas, Lithuania)"
	@echo ""
	@case "$${PROTECT_RATELIMIT_STORAGE_URI:-memory://}" in memory://*) \
	  echo "Sign-in limits are counted in memory: each worker process counts on its own (N workers allow N times"; \
	  echo "the limit) and a restart forgets the counts. With PROTECT_WORKERS > 1, set"; \
	  echo "PROTECT_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 so that every worker counts together (README).";; \
	*) echo "Sign-in limits are counted in PROTECT_RATELIMIT_STORAGE_URI, together for every worker.";; esac
	@echo ""
	@if [ -z "$${PROTECT_MAIL_SERVER:-}" ]; then \
	  echo "No PROTECT_MAIL_SERVER: the e-mails stay in the outbox, for moderators to read at"; \
	  echo "http://$(HOST):$(PORT)/notifications/outbox (README, \"Notifications and mail\")."; echo ""; fi
	@echo "The demo does not require moderators and administrators to set up a second factor (production does:"
	@echo "PROTECT_REQUIRE_SECOND_FACTOR=1 make run shows the policy; README, \"Signing in safely\")."
	@echo ""
	@# One worker by default: the sign-in rate limit then counts exactly without Redis (see README).
	@# The mail sender runs beside the server (it composes the e-mails, and sends them when PROTECT_MAIL_SERVER is
	@# set) and is stopped with it: Ctrl+C, the server failing to start, or the shell ending.
	$(FLASK) mail-worker --interval 10 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	PROTECT_REQUIRE_SECOND_FACTOR=$${PROTECT_REQUIRE_SECOND_FACTOR:-0} \
	PROTECT_WORKERS=$${PROTECT_WORKERS:-1} $(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

## make test: set up, lint, then the whole suite (on PostgreSQL too when PROTECT_TEST_DATABASE_URL is set).
## The topology tests (tests/topology: nginx, two app servers, PostgreSQL, Redis) run in the first pass; they
## always use PostgreSQL, so the second pass leaves them out. Without nginx they skip, unless
## PROTECT_REQUIRE_TOPOLOGY=1 (CI): then they fail.
test: $(VENV)/.dev translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest
	@if [ -n "$$PROTECT_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$PROTECT_TEST_DATABASE_URL) =="; \
		PROTECT_TEST_BACKEND=postgresql $(BIN)/python -m pytest -m "not topology"; \
	fi

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make mutation: mutmut over each core module against its own unit tests (docs/mutation.md); not part of make test.
## TARGETS="permissions diff" runs only those; MUTATION_JOBS=N sets the workers (default 2).
mutation: $(VENV)/.dev
	$(BIN)/python tools/mutation.py $(TARGETS)

## make bench: the load benchmark against a bare-Flask ceiling (make bench-quick, or QUICK=1, for the short run)
## PROTECT_BENCH_DATABASE_URL=postgresql://... runs it on PostgreSQL (a throwaway database is made there).
## The public pages run twice: straight from gunicorn and through nginx with deploy/nginx/protect.conf.
bench: $(VENV)/.dev wrk translations
	@$(MAKE) --no-print-directory nginx || echo "nginx could not be installed: the public pages run directly only"
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

bench-quick: $(VENV)/.dev wrk translations
	@$(MAKE) --no-print-directory nginx || echo "nginx could not be installed: the public pages run directly only"
	$(BIN)/python -m bench --quick

## make topology: production on 127.0.0.1 until Ctrl+C: nginx (deploy/nginx/protect.conf, a throwaway self-signed
## certificate) in front of two gunicorn app servers, a throwaway database on the PostgreSQL server of
## PROTECT_TOPOLOGY_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres) and a Redis of its own.
topology: $(VENV)/.runtime translations topology-programs
	$(BIN)/python -m deploy.topology

# What the topology runs, from Debian's packages when missing (as CI installs Chromium).
topology-programs: nginx
	@command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || { \
		echo "== installing redis-server (rate-limit counters) =="; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -qq redis-server >/dev/null 2>&1 || { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server >/dev/null; }; \
	}

nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
		echo "== installing nginx (the reverse proxy of deploy/nginx/protect.conf) =="; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -qq nginx openssl >/dev/null 2>&1 || { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nginx openssl >/dev/null; }; \
	}

# The load generator, from Debian's packages (wrk drives HTTP with Lua scripts and reports latency percentiles).
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		echo "== installing wrk (load generator) =="; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -qq wrk >/dev/null 2>&1 || { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk >/dev/null; }; \
	}

clean-venv:
	rm -rf $(VENV)
