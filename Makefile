# The two commands of the README: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

BOOKING_DEMO ?= 1
export BOOKING_DEMO

.PHONY: run test fuzz-api venv lint typecheck check bench bench-load bench-balance bench-fairness bench-mail bench-queue bench-weight locales screenshots clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (set PYTHON=python3.11)" if sys.version_info < (3, 11) else 0)'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

run: venv
	$(BIN)/python -m booking migrate
	@if [ "$(BOOKING_DEMO)" != "0" ]; then $(BIN)/python -m booking demo; fi
	$(BIN)/python -m booking serve

# The suite, its coverage (modules below 100 % and the total), then the floor on the pure core:
# the decisions that have properties of their own (measured at 97.1 % by their unit tests alone,
# December 2026); a drop below it means a rule without a test.
PURE_CORE := booking/slots.py,booking/balance.py,booking/queue.py,booking/conflicts.py,$\
	booking/notices.py,booking/schedule.py,booking/statistics.py,booking/plan.py,$\
	booking/shares.py,booking/limits.py,booking/audit_log.py,booking/charts.py,$\
	booking/outcome_statistics.py,booking/admin_forms.py,booking/applicant.py,booking/access.py
PURE_CORE_FLOOR := 97

test: venv
	@mkdir -p data
	$(BIN)/python -m pytest --cov --cov-report=term
	@echo "Pure core (floor $(PURE_CORE_FLOOR) %):"
	@$(BIN)/python -m coverage report --include='$(PURE_CORE)' --no-skip-covered --fail-under=$(PURE_CORE_FLOOR)

lint: venv
	$(BIN)/ruff check booking integrations tests
	$(BIN)/ruff format --check booking integrations tests

# Schemathesis against the real service's OpenAPI document, anonymously and with a token of
# each role (tests/fuzz_api.py); on PostgreSQL too when BOOKING_TEST_POSTGRES_URL is set.
FUZZ_EXAMPLES ?= 25
fuzz-api: venv
	$(BIN)/python tests/fuzz_api.py --database sqlite --max-examples $(FUZZ_EXAMPLES)
	@if [ -n "$$BOOKING_TEST_POSTGRES_URL" ]; then \
		$(BIN)/python tests/fuzz_api.py --database postgres --max-examples $(FUZZ_EXAMPLES); \
	else echo "fuzz-api: set BOOKING_TEST_POSTGRES_URL to run it on PostgreSQL too"; fi

typecheck: venv
	$(BIN)/mypy

check: lint typecheck test

# Benchmarks print their figures; they are not part of `make test`.
bench: bench-load bench-balance bench-fairness bench-mail bench-queue bench-weight

bench-load: venv
	$(BIN)/python tests/benchmarks/bench_load.py --database sqlite
	@if [ -n "$$BOOKING_TEST_POSTGRES_URL" ]; then \
		$(BIN)/python tests/benchmarks/bench_load.py --database postgres; \
	else echo "bench-load: set BOOKING_TEST_POSTGRES_URL to run it on PostgreSQL too"; fi

bench-balance: venv
	$(BIN)/python tests/benchmarks/bench_balance.py

bench-fairness: venv
	$(BIN)/python tests/benchmarks/bench_fairness_report.py

# A walk-in day at the demo location: waits, and the wait estimate against the actual calls.
bench-queue: venv
	@for seed in 1 2 3; do $(BIN)/python -m booking.bench queue --seed $$seed || exit 1; done

# What each applicant page transfers on first load, in Chromium (budget: 60 KB).
bench-weight: venv
	$(BIN)/python tests/benchmarks/bench_weight.py

bench-mail: venv
	$(BIN)/python tests/benchmarks/bench_mail.py --database sqlite --messages 2000
	@if [ -n "$$BOOKING_TEST_POSTGRES_URL" ]; then \
		$(BIN)/python tests/benchmarks/bench_mail.py --database postgres --messages 2000; \
	else echo "bench-mail: set BOOKING_TEST_POSTGRES_URL to run it on PostgreSQL too"; fi

# PNGs of the main pages in docs/screenshots/ (the README shows some): a demo service of its
# own, driven by Debian's Chromium like the browser tests.
screenshots: venv
	$(BIN)/python -m tests.browser.screenshots

# Re-extract the strings and merge them into every catalog (then translate the new ones):
# German and English get everything; the other visitor languages get what visitors read.
locales: venv
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --omit-header -o locales/messages.pot .
	$(BIN)/pybabel extract -F babel-visitor.cfg -k N_ --no-location --sort-output --omit-header -o locales/visitor.pot .
	@for lang in $$($(BIN)/python -c 'from booking.i18n import STAFF_LANGUAGES as s; print(*s)'); do \
		$(BIN)/pybabel update -D messages -i locales/messages.pot -d locales -l $$lang --ignore-obsolete --no-fuzzy-matching --width 100 || exit 1; \
	done
	@for lang in $$($(BIN)/python -c 'from booking.i18n import VISITOR_LANGUAGES as v, STAFF_LANGUAGES as s; print(*[c for c in v if c not in s])'); do \
		test -f locales/$$lang/LC_MESSAGES/messages.po || $(BIN)/pybabel init -D messages -i locales/visitor.pot -d locales -l $$lang --width 100 || exit 1; \
		$(BIN)/pybabel update -D messages -i locales/visitor.pot -d locales -l $$lang --ignore-obsolete --no-fuzzy-matching --width 100 || exit 1; \
	done
	$(BIN)/python locales/fill_english.py

clean:
	rm -rf $(VENV) data .hypothesis
