# Two commands on a fresh machine: `make demo` and `make test`.
# Nothing to install by hand but Python 3.11+, make and a C compiler.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: demo test install browser lint format lock messages migrations-check audit stop clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

# llama.cpp (the local model) is compiled on install, and not for every instruction the
# processor claims (its default, -march=native): a virtual machine that claimed AMX and then
# refused it killed the model server on its first answer (SIGILL, 2026-11-28). On x86-64,
# AVX2, which every machine it runs on has; elsewhere llama.cpp's own defaults. Built apart,
# without pip's cache, so that a build made with other flags is never reused.
ifeq ($(shell uname -m),x86_64)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
endif

# Installs exactly the versions in constraints.txt, the ones the tests passed with.
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet --no-cache-dir \
		-c constraints.txt "llama-cpp-python[server]"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,local]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/python scripts/demo.py --port $(PORT) --host $(HOST)

# The browser tests need a Chromium: Debian's where installed, else Playwright's own download.
browser: install
	@command -v chromium >/dev/null 2>&1 || [ -n "$$CHROMIUM" ] || $(BIN)/playwright install chromium

test: install browser
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

# Known vulnerabilities in the installed packages (pip-audit, against PyPI's data). Fails
# on a vulnerability; says "dependency audit NOT RUN" and passes where the service is out
# of reach (scripts/audit.py).
audit: install
	$(BIN)/python scripts/audit.py

# Refresh the English catalogue after changing French text (needs GNU gettext); the
# compiled .mo is committed, so a fresh machine needs no extra tool.
messages: install
	$(BIN)/python manage.py makemessages -l en --no-wrap --no-location --ignore=".venv/*" --ignore="var/*" --ignore="tests/*" --ignore="bench/*"
	$(BIN)/python manage.py compilemessages -l en --ignore=".venv/*"

# Refresh constraints.txt from what is installed now (after changing pyproject.toml).
lock: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

# Stops the embedded Redis that the project starts when REDIS_URL is not set.
stop:
	-$(BIN)/python -m config.embedded_redis stop

clean: stop
	rm -rf $(VENV) var staticfiles
