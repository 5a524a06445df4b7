# transferkit: the two set-up commands of the README.
#   make demo  -> creates .venv, installs transferkit, runs `transferkit demo`
#   make test  -> creates .venv, installs transferkit with test tools, runs lint + the full suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint install bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/transferkit demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

# Two test processes with one BLAS/torch thread each: no oversubscription of the 2 cores.
test: lint
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15

bench: $(STAMP)
	$(BIN)/transferkit bench office_caltech_surf --methods source_only,pca,coral --seeds 1

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
