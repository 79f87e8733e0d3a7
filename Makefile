# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app caseflow
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test install install-dev translations lint pytest bench extract-messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed setup.cfg
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d caseflow/translations 2>&1 | grep -v "^compiling" || true

## make run: install, migrate the SQLite database in instance/, load the demo data once, serve
run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) run --host $(HOST) --port $(PORT)

## make test: ruff, the import contracts (.importlinter), then the whole suite on SQLite and, if CASEFLOW_TEST_DATABASE_URL is set, on PostgreSQL
test: install-dev
	$(BIN)/ruff check caseflow tests bench migrations
	$(BIN)/lint-imports --no-cache
	env -u CASEFLOW_TEST_DATABASE_URL $(BIN)/pytest -p no:cacheprovider
	@if [ -n "$$CASEFLOW_TEST_DATABASE_URL" ]; then \
		echo "== the same suite on PostgreSQL"; \
		$(BIN)/pytest -p no:cacheprovider; \
	fi

bench: install-dev
	$(BIN)/python -m bench.audit_verify
	$(BIN)/python -m bench.export_history
	$(BIN)/python -m bench.http
	$(BIN)/python -m bench.report_period
	$(BIN)/python -m bench.verify_parts

extract-messages: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o caseflow/translations/messages.pot .
	$(BIN)/pybabel update -i caseflow/translations/messages.pot -d caseflow/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache
