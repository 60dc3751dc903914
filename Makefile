# varkg: two commands do all the set-up on a fresh machine.
#   make demo   builds everything and runs the main job on the embedded store
#   make test   builds everything and runs the tests
PYTHON ?= python3
VENV   ?= .venv
DATA   ?= ../shared/data
STORE  ?= demo/varkg.db
PIP    := $(VENV)/bin/pip
PYTEST_ARGS ?= -m "not slow and not gpu and not spark"
NEO4J_DATA ?= neo4j-data
NEO4J_LIB  := tools/neo4j/lib/.stamp

.PHONY: demo test lint venv lint-tools system-tools neo4j-lib neo4j bench clean spark-env spark-lib test-spark lm-checkpoint

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

# Debian tools used as independent checks in tests (bcftools; plink1.9 for LD and LD blocks; plink2 for Fst; gemma for
# the mixed-model GWAS and REML; vcftools), the browser test (chromium) and
# the susieR comparison (r-cran-susier). Installed when missing and we are root; tests that need
# them skip with a reason otherwise.
system-tools:
	@missing=""; \
	command -v bcftools >/dev/null || missing="$$missing bcftools"; \
	command -v plink1.9 >/dev/null || missing="$$missing plink1.9"; \
	command -v plink2 >/dev/null || missing="$$missing plink2"; \
	command -v gemma >/dev/null || missing="$$missing gemma"; \
	command -v vcftools >/dev/null || missing="$$missing vcftools"; \
	command -v chromium >/dev/null || missing="$$missing chromium chromium-driver"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) || echo "warning: could not install$$missing; dependent tests will skip"; \
	  else echo "warning: missing$$missing (not root); dependent tests will skip"; fi; \
	fi

# The DNA LM checkpoint shipped in models/ (benchmarks/bench_gue.py fine-tunes it by default):
# masked LM, 0.96 M parameters (3.8 MB), single-nucleotide tokens, 128-bp windows, on both shared
# hg38 references and the training sequences (no labels, no dev/test) of the five GUE tasks.
# Step-capped and seeded: the same batches every time (the same weights on the same CPU and thread
# count); 4,376 s measured on the 2-core CPU; resumable if interrupted.
# LM_SIZE=small (256-d, 3.8 M parameters; 0.49 against 3.08 steps/s for mini in float32 on 2 cores) builds a larger model the same way, into
# models/lm-small-char unless LM_CKPT says otherwise; LM_THREADS for machines with more cores;
# LM_ARGS=--bf16 for bfloat16 autocast on CPUs with AVX-512 BF16 / AMX and recent GPUs.
LM_SIZE    ?= mini
LM_CKPT    ?= models/lm-$(LM_SIZE)-char
LM_STEPS   ?= 10000
LM_THREADS ?= 2
LM_ARGS    ?=
lm-checkpoint: venv
	$(VENV)/bin/varkg lm pretrain --out $(LM_CKPT) --tokenizer char --size $(LM_SIZE) --window 128 \
	  --steps $(LM_STEPS) --batch-size 32 --lr 1e-3 --seed 0 --threads $(LM_THREADS) $(LM_ARGS) \
	  $(foreach f,$(filter-out %.fai %.gzi,$(wildcard $(DATA)/reference/*.fa*)),--fasta $(f)) \
	  $(foreach t,mouse_0 prom_prom_300_tata prom_prom_core_tata tf_0 tf_1,--csv $(DATA)/gue/$(t)/train.csv)
	rm -rf $(LM_CKPT)/checkpoint

# A real Neo4j Community server (5.26 LTS, runs on Java 17) from Maven Central jars, no Docker.
# `make neo4j-lib` resolves the jars; `make neo4j` runs the server on 127.0.0.1 until Ctrl-C
# (password from NEO4J_PASSWORD). Without Maven or Java the Neo4j tests skip with the reason.
neo4j-lib: $(NEO4J_LIB)

$(NEO4J_LIB): tools/neo4j/pom.xml
	@if command -v mvn >/dev/null && command -v java >/dev/null; then \
	  mvn -q -B -f tools/neo4j/pom.xml package && touch $@ || echo "warning: Maven could not resolve the Neo4j jars; Neo4j tests will skip"; \
	else echo "warning: mvn or java missing; Neo4j tests will skip"; fi

# The Spark path (varkg.spark): Hail 0.2.139 pins pyspark 3.5.9 and rich 12.6 (varkg's CLI wants
# rich>=13), so it lives in its own venv, .venv-spark: hail plus varkg's light dependencies (no torch).
# Its tests (marker `spark`) run there with PYTHONPATH=. on the JDK 17 (Hail supports 8/11/17).
SPARK_VENV ?= .venv-spark
SPARK_LIB  := tools/spark/lib/.stamp

spark-env: $(SPARK_VENV)/.stamp

$(SPARK_VENV)/.stamp:
	@($(PYTHON) -m venv $(SPARK_VENV) && \
	  $(SPARK_VENV)/bin/pip install --quiet hail==0.2.139 'pyarrow>=15' 'cyvcf2>=0.31' 'pytest>=8' 'pytest-timeout>=2.3' \
	    'neo4j==6.4.1' 'ladybug==0.22.0' 'bed-reader>=1.0' 'tqdm>=4.66' 'hypothesis>=6.100' 'numba>=0.58' && touch $@) \
	  || echo "warning: could not build $(SPARK_VENV); the Spark tests will not run"

# The Neo4j Connector for Apache Spark from Maven Central into tools/spark/lib
spark-lib: $(SPARK_LIB)

$(SPARK_LIB): tools/spark/pom.xml
	@if command -v mvn >/dev/null; then \
	  mvn -q -B -f tools/spark/pom.xml package && touch $@ || echo "warning: Maven could not resolve the Spark connector; its test will skip"; \
	else echo "warning: mvn missing; the Spark connector test will skip"; fi

test-spark: spark-env spark-lib neo4j-lib
	@if [ -f $(SPARK_VENV)/.stamp ]; then \
	  PYTHONPATH=$(CURDIR) VARKG_SHARED_DATA=$(abspath $(DATA)) $(SPARK_VENV)/bin/pytest -o addopts="--strict-markers -ra" -m spark tests/spark; \
	else echo "skipping the Spark tests: no $(SPARK_VENV)"; fi

neo4j: venv neo4j-lib
	$(VENV)/bin/varkg neo4j serve --data $(NEO4J_DATA)

# STORE may be a Neo4j URI: make demo STORE=bolt://127.0.0.1:7687 (NEO4J_PASSWORD in the environment)
demo: venv
	case "$(STORE)" in *://*) ;; *) mkdir -p $(dir $(STORE)) ;; esac
	VARKG_DATA=$(DATA) $(VENV)/bin/varkg --store $(STORE) demo --data $(DATA)

# Python lint, format and types (configured in pyproject.toml); `make test` runs it first.
# (lint-tools, below, is the Node Cypher linter the Neo4j tests use.)
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The Neo4j leg: tests/conftest.py starts the server from tools/neo4j/lib on free loopback ports
# for the session (or uses $$VARKG_NEO4J_URI) and stops it at the end.
# Doctests in varkg/ are collected too (--doctest-modules in pyproject.toml).
test: venv lint lint-tools system-tools neo4j-lib
	VARKG_SHARED_DATA=$(abspath $(DATA)) $(VENV)/bin/pytest $(PYTEST_ARGS)
	$(MAKE) test-spark

bench: venv
	$(VENV)/bin/python benchmarks/bench_store.py

clean:
	rm -rf $(VENV) $(SPARK_VENV) tools/spark/lib tools/spark/target tools/cypher-lint/node_modules tools/neo4j/lib tools/neo4j/target demo/varkg.db demo/varkg.db.*
