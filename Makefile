# Two commands do all set-up on a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest bench stop demo system-packages

# What the distribution must provide: npm (front-end packages) and gettext (translations).
# Installed with apt-get where the machine has it and we may; otherwise named clearly.
SYSTEM_PACKAGES := $(if $(shell command -v npm),,nodejs npm) $(if $(shell command -v msgfmt),,gettext)

system-packages:
ifneq ($(strip $(SYSTEM_PACKAGES)),)
	@if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		echo "Installing $(SYSTEM_PACKAGES) from the distribution"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	else \
		echo "Please install: $(SYSTEM_PACKAGES) (e.g. sudo apt-get install $(SYSTEM_PACKAGES))"; exit 1; \
	fi
endif

$(STAMP): requirements.txt package.json package-lock.json | system-packages
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

# Install, then compile translations and collect static files (cheap when nothing changed).
install: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=var --verbosity=0
	$(PY) manage.py collectstatic --noinput --verbosity=0

# The address is worked out once, here: printed, given to honcho as the web process's PORT (its own
# default is 5000), and as SITE_URL to every process (honcho gives worker and beat other PORTs, from
# which settings would build the links in messages). tests/test_first_run.py holds them together.
# Unbuffered, the processes' output shows as it happens.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_data --if-empty
	@HOST="$${HOST:-127.0.0.1}"; PORT="$${PORT:-8000}"; SITE_URL="$${SITE_URL:-http://$$HOST:$$PORT}"; \
	export HOST PORT SITE_URL PATH="$(CURDIR)/$(BIN):$$PATH" PYTHONUNBUFFERED=1; \
	printf '\nOpen http://%s:%s/ (Ctrl-C stops web, worker and beat)\n\n' "$$HOST" "$$PORT"; \
	exec $(BIN)/honcho start --port "$$PORT"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	DATABASE_URL=postgres://localhost/unused REDIS_URL=redis://localhost/0 $(BIN)/mypy clinic staff patients scheduling messaging beds exams triage reports bench

pytest: install
	CLINIC_TESTING=1 $(BIN)/pytest -q

test: install lint typecheck
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	CLINIC_TESTING=1 $(BIN)/pytest -q

bench: install
	$(PY) manage.py migrate --noinput
	$(PY) -m bench $(BENCH_ARGS)

stop:
	$(PY) -c "from clinic.embedded import stop_all; stop_all()"

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_data
