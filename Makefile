# wardsync — make test | make demo | make check | make bench
VENV    ?= .venv
PY      := $(VENV)/bin/python
PYTHON  ?= python3
SYSDEPS := chromium xvfb xauth trayer xdotool x11-utils imagemagick dbus-x11 fonts-dejavu-core \
           gir1.2-gtk-3.0 libgirepository1.0-dev libcairo2-dev pkg-config gcc faketime \
           postgresql prometheus nginx systemd
WHEELHOUSE ?= dist/wheelhouse

.PHONY: wheelhouse test demo check lint bench bench-quick bench-backlog bench-faults bench-hostile bench-growth bench-fleet sysdeps install install-test clean

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	touch $@

$(VENV)/.installed: $(VENV)/.created setup.cfg pyproject.toml
	$(PY) -m pip install -q -e .
	touch $@

# The tray extra builds PyGObject from source: sysdeps (its -dev packages) must come first.
$(VENV)/.installed-test: $(VENV)/.created setup.cfg pyproject.toml | sysdeps
	$(PY) -m pip install -q -e ".[test,tray]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# A release for a server with no route to the package registries (README, "Vận hành"): wardsync
# and every runtime dependency (the postgresql extra's too) as wheels for this Python and
# machine, in $(WHEELHOUSE). Carry the folder over, then there:
#   python3 -m venv /opt/wardsync/venv
#   /opt/wardsync/venv/bin/pip install --no-index --find-links WHEELHOUSE wardsync
wheelhouse: $(VENV)/.created
	rm -rf $(WHEELHOUSE) build  # setuptools would put stale files of build/ in the wheel
	$(PY) -m pip wheel -q --wheel-dir $(WHEELHOUSE) ".[postgresql]"
	cd $(WHEELHOUSE) && sha256sum *.whl > SHA256SUMS

# System packages the browser, tray, proxy and service tests need (Debian; installs only what is
# missing).
sysdeps:
	@missing=""; for p in $(SYSDEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "warning: missing system packages:$$missing (browser/tray tests will be skipped)"; fi; \
	fi

# The suite runs in TEST_WORKERS processes (pytest-xdist), each test file whole in one of them
# (its module fixtures: a cluster, a browser, the hub's engine); most of a test's time is spent
# waiting on servers, browsers and the network, so more processes than cores still help.
# TEST_WORKERS=0 runs it in this process. The slowest tests are listed at the end.
TEST_WORKERS ?= 3
test: sysdeps install-test
	$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --durations=25

# make demo DEMO_FLAGS="--port 18400 --wards 3" for another port or fewer wards.
demo: install
	$(VENV)/bin/central-hub demo --wards 27 --data ./demo-data $(DEMO_FLAGS)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy sync office webapp

check: lint test

bench: install-test
	$(PY) bench/bench_write.py
	$(PY) bench/bench_apply.py
	$(PY) bench/bench_sync.py --changes 10000

bench-quick: install-test
	$(PY) bench/bench_write.py --rows 20000
	$(PY) bench/bench_apply.py --rows 20000

# A backlog of a million changes (a ward offline for a month): speed and bounded memory.
bench-backlog: install-test
	$(PY) bench/bench_sync.py --changes 1000000

# The long fault-injection run: many seeded scenarios; exits non-zero on any loss or divergence.
bench-faults: install-test
	$(PY) bench/bench_faults.py --scenarios 10 --seed 100

# What hostile pushes and enrollments cost the hub, beside an honest push (docs/security.md).
bench-hostile: install-test
	$(PY) bench/bench_hostile.py

# A year of 27 wards syncing every 30 s: the hub's store must plateau (docs/operations.md).
bench-growth: install-test
	$(PY) bench/bench_growth.py

# 3,321 simulated nodes against a real hub, on SQLite and PostgreSQL in one run: steady polling
# every 30 s and the burst of every node at once (issue [10]; loads both cores for about 20 min).
bench-fleet: install-test
	$(PY) bench/bench_fleet.py --nodes 3321

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
