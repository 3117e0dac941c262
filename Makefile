# Two commands: `make run` serves the app, `make test` checks everything.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# PostgreSQL for the second test run; .ci/run sets REQUIRE_POSTGRES=1 so a
# missing server fails the run instead of skipping it.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
REQUIRE_POSTGRES ?= 0
# Redis for the shared cache (REDIS_URL): the tests whose behaviour the cache changes run again on
# PostgreSQL with Django's cache in Redis. Redis is required: a missing server fails the run.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
REDIS_SUITE := tests/syncapi/test_auth.py tests/syncapi/test_token_cache.py tests/syncapi/test_pull.py \
	tests/syncapi/test_no_change_pulls.py tests/syncapi/test_changed.py tests/syncapi/test_devices.py

.PHONY: run test lint test-js test-sqlite test-postgres test-redis install install-dev chromium webkit firefox nginx node bench bench-report stress screenshots clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# Browser tests drive the system Chromium (Playwright cannot download browsers
# here); CHROMIUM_PATH points them at another Chromium or Chrome.
CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH

# $(call debian,<command or path>,<Debian package>,<what it is for>): install the package with apt
# when the command is missing and this runs as root; otherwise say what to install.
define debian
	@if ! command -v $(1) >/dev/null 2>&1 && [ ! -x "$(1)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's $(2) $(3)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
		else \
			echo "$(1) not found: install Debian's $(2) (sudo apt-get install $(2)) $(3)"; \
			exit 1; \
		fi; \
	fi
endef

chromium:
	$(call debian,$(CHROMIUM_PATH),chromium,for the browser tests (or set CHROMIUM_PATH))

# The same journeys run in WebKit (WebKitGTK's MiniBrowser, driven by WebKitWebDriver on an Xvfb screen) and
# Firefox ESR (headless, over Marionette): tests/frontend/engines.py.
webkit:
	$(call debian,WebKitWebDriver,webkit2gtk-driver,for the WebKit browser tests)
	$(call debian,Xvfb,xvfb,for the WebKit browser tests (a virtual screen))

firefox:
	$(call debian,$${FIREFOX_PATH:-firefox-esr},firefox-esr,for the Firefox browser tests (or set FIREFOX_PATH))

# The phone-link benchmark reaches the app over HTTPS/HTTP2 through nginx, run by the benchmark itself
# on a loopback port: the package's own service is not needed, and is stopped if apt started it.
nginx:
	$(call debian,/usr/sbin/nginx,nginx,for the phone-link benchmark)
	@if command -v service >/dev/null && pgrep -x nginx >/dev/null && [ -f /run/nginx.pid ]; then \
		service nginx stop >/dev/null 2>&1 || true; \
	fi

node:
	$(call debian,node,nodejs,for the JavaScript unit tests)

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_catalogue --if-empty
	DEBUG=$${DEBUG:-true} $(PY) manage.py build_snapshots
	DEBUG=$${DEBUG:-true} $(PY) manage.py collectstatic --noinput -v0
	DEBUG=$${DEBUG:-true} $(PY) manage.py create_demo_accounts --if-no-users
	@echo ""
	@echo "  App:       http://127.0.0.1:$(PORT)/"
	@echo "  Admin:     http://127.0.0.1:$(PORT)/admin/   (an admin of your own: DEBUG=true $(PY) manage.py createsuperuser)"
	@echo "  API docs:  http://127.0.0.1:$(PORT)/api/docs/"
	@echo ""
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

test-js: node
	node --test tests/js/

test-sqlite: install-dev chromium webkit firefox nginx
	env -u DATABASE_URL $(VENV)/bin/pytest -m "not postgres" -p no:cacheprovider

test-postgres: install-dev chromium webkit firefox nginx
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(TEST_POSTGRES_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		DATABASE_URL='$(TEST_POSTGRES_URL)' $(VENV)/bin/pytest -m "not once" -p no:cacheprovider; \
	elif [ "$(REQUIRE_POSTGRES)" = "1" ]; then \
		echo "PostgreSQL is required but not reachable at $(TEST_POSTGRES_URL)"; exit 1; \
	else \
		echo "PostgreSQL not reachable at $(TEST_POSTGRES_URL): skipping the PostgreSQL run (CI requires it)."; \
	fi

test-redis: install-dev
	@if ! $(PY) -c "import redis; redis.Redis.from_url('$(TEST_REDIS_URL)', socket_connect_timeout=3).ping()" 2>/dev/null; then \
		echo "Redis is required but not reachable at $(TEST_REDIS_URL) (Debian: apt-get install redis-server)"; exit 1; \
	fi
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(TEST_POSTGRES_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		REDIS_URL='$(TEST_REDIS_URL)' DATABASE_URL='$(TEST_POSTGRES_URL)' $(VENV)/bin/pytest -m "not once" -p no:cacheprovider $(REDIS_SUITE); \
	elif [ "$(REQUIRE_POSTGRES)" = "1" ]; then \
		echo "PostgreSQL is required but not reachable at $(TEST_POSTGRES_URL)"; exit 1; \
	else \
		REDIS_URL='$(TEST_REDIS_URL)' env -u DATABASE_URL $(VENV)/bin/pytest -m "not postgres" -p no:cacheprovider $(REDIS_SUITE); \
	fi

test: lint test-js test-sqlite test-postgres test-redis

# The PostgreSQL stress test, hundreds of interleavings (make test runs 3): writer
# processes and readers; every reader must end exactly equal to the server.
STRESS_ROUNDS ?= 300
stress: install-dev
	DATABASE_URL='$(TEST_POSTGRES_URL)' STRESS_ROUNDS=$(STRESS_ROUNDS) $(VENV)/bin/pytest -q -p no:cacheprovider \
		tests/syncapi/test_stress_postgres.py

# Every benchmark at full size, beside its floor; writes var/bench/benchmarks.md and its chart
# (about an hour; needs PostgreSQL and Redis too). `make bench-report` measures the same and refreshes
# the committed report, docs/benchmarks.md: run it when the report is deliberately refreshed.
bench: install-dev chromium nginx
	BENCH_POSTGRES_URL='$(TEST_POSTGRES_URL)' $(PY) -m bench --out var/bench

bench-report: install-dev chromium nginx
	BENCH_POSTGRES_URL='$(TEST_POSTGRES_URL)' $(PY) -m bench --out docs

# The screenshots in README.md and docs/ (docs/img/screens/), taken again from a fresh demo catalogue.
screenshots: install-dev chromium
	$(PY) docs/screenshots.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
