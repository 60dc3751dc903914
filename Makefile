# varkg: two commands do all the set-up on a fresh machine.
#   make demo   builds everything and runs the main job on the embedded store
#   make test   builds everything and runs the tests
PYTHON ?= python3
VENV   ?= .venv
DATA   ?= ../shared/data
STORE  ?= demo/varkg.db
PIP    := $(VENV)/bin/pip
PYTEST_ARGS ?= -m "not slow and not neo4j and not gpu"

.PHONY: demo test venv lint-tools system-tools bench clean

venv: $(VENV)/.stamp

$(VENV)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch is pinned to 2.13.0 in pyproject.toml: the CPU build installs from the local wheel
	$(PIP) install --quiet -e '.[test]'
	touch $@

lint-tools: tools/cypher-lint/node_modules/.stamp

tools/cypher-lint/node_modules/.stamp: tools/cypher-lint/package.json tools/cypher-lint/package-lock.json
	cd tools/cypher-lint && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian tools used as independent checks in tests (bcftools), the browser test (chromium) and
# the susieR comparison (r-cran-susier). Installed when missing and we are root; tests that need
# them skip with a reason otherwise.
system-tools:
	@missing=""; \
	command -v bcftools >/dev/null || missing="$$missing bcftools"; \
	command -v chromium >/dev/null || missing="$$missing chromium chromium-driver"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) || echo "warning: could not install$$missing; dependent tests will skip"; \
	  else echo "warning: missing$$missing (not root); dependent tests will skip"; fi; \
	fi

demo: venv
	mkdir -p $(dir $(STORE))
	VARKG_DATA=$(DATA) $(VENV)/bin/varkg --store $(STORE) demo --data $(DATA)

test: venv lint-tools system-tools
	VARKG_SHARED_DATA=$(abspath $(DATA)) $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: venv
	$(VENV)/bin/python benchmarks/bench_store.py

clean:
	rm -rf $(VENV) tools/cypher-lint/node_modules demo/varkg.db demo/varkg.db.*
