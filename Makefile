# transferkit: the two set-up commands of the README.
#   make demo  -> creates .venv, installs transferkit with [torch,report], runs `transferkit demo`
#   make test  -> creates .venv, installs transferkit with test tools, runs lint + the full suite
# Both install the exact tested versions of constraints.txt. `make test` installs every extra
# the suite uses (torch, qp, federated, nilm, report) and the dev tools. [federated] brings
# Flower with its Ray simulation backend (+0.4 GB, Ray 220 MB of it; +54 s on a 166 s install,
# measured in a fresh venv with pip's cache warm); Flower caps
# typer < 0.21, rich < 15 and packaging < 26, which constraints.txt pins accordingly.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_STAMP := $(VENV)/.demo-stamp
TEST_EXTRAS := torch,qp,federated,nilm,report,ray,tracking,dev
# The demo needs only torch (its DANN row) and matplotlib (its report): a lighter install.
DEMO_EXTRAS := torch,report

.PHONY: demo test lint install bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$(TEST_EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

$(DEMO_STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$(DEMO_EXTRAS)]"
	touch $(DEMO_STAMP)

# One BLAS/torch thread: on a shared or small machine extra threads only spin.
demo: $(DEMO_STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/transferkit demo

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
