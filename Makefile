# joinedup: `make demo` runs the LLR demo, `make test` runs the whole suite. Both install what they need.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := src/joinedup/web/static/vendor

.PHONY: install demo test lint typecheck pytest bench clean browser

install: $(STAMP)

$(STAMP): pyproject.toml package.json
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	npm install --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css $(VENDOR)/
	cp node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js $(VENDOR)/
	rm -rf $(VENDOR)/assets && cp -r node_modules/nhsuk-frontend/dist/nhsuk/assets $(VENDOR)/assets
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	touch $(STAMP)

# Debian tools the tests drive: Chromium for pages; curl and jq for the documented API examples.
browser:
	@(test -x /usr/bin/chromium && command -v jq >/dev/null && command -v curl >/dev/null) || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium jq curl >/dev/null)

demo: install
	$(BIN)/joinedup demo

lint: install
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy src

pytest: install browser
	$(BIN)/pytest -n 2 --dist loadgroup

test: lint typecheck pytest

bench: install
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules $(VENDOR) joinedup.db
