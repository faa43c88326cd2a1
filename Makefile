# The two commands of the README: `make run` and `make test`. Both install what they need.
UV_VERSION := 0.13.9
UV := python3 -m uv
export UV_PYTHON_DOWNLOADS := never
export SOURCE_DATE_EPOCH := 1735689600
# Installed packages are compiled to bytecode once per lock file: every workflow job then
# starts without compiling pandas, scipy and snakemake again (where PYTHONDONTWRITEBYTECODE
# is set, Python would otherwise compile them in every process). A stamp named after the
# lock file's hash records it, so later `make` calls skip it.
BYTECODE_STAMP = .venv/.bytecode-$(shell sha256sum uv.lock | cut -c1-16)

# Your own config files, merged over config/config.yaml: `make run CONFIGFILES=my.yaml`.
CONFIGFILES ?=
# Config files are checked as plain YAML before Snakemake reads them: Snakemake's YAML
# templating evaluates the Python expressions of a file with `__use_yte__: true` as it
# loads it, before any check of the workflow runs; rlstrial.config refuses such files
# (and every unknown key, bad value or output folder in the raw folder) without
# evaluating anything.
CHECK_CONFIG := $(UV) run python -m rlstrial.config

.PHONY: setup run park power test lint format readme-figures

setup:
	@python3 -m uv --version 2>/dev/null | grep -q "$(UV_VERSION)" || python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) sync --locked --quiet
	@[ -f $(BYTECODE_STAMP) ] || { $(UV) run --no-sync python -m compileall -q -j 0 .venv/lib > /dev/null; rm -f .venv/.bytecode-*; touch $(BYTECODE_STAMP); }

run: setup  ## the whole workflow on the bundled synthetic trial (or on CONFIGFILES)
	$(CHECK_CONFIG) config/config.yaml $(CONFIGFILES)
	$(UV) run snakemake --cores 2 $(if $(strip $(CONFIGFILES)),--configfile $(CONFIGFILES))

park: setup  ## the workflow on the Park 2020 pilot replica
	$(CHECK_CONFIG) config/config.yaml config/park2020.yaml
	$(UV) run snakemake --cores 2 --configfile config/park2020.yaml

power: setup  ## power and sample size by simulation (config/power.yaml), on 2 cores
	$(CHECK_CONFIG) config/config.yaml config/power.yaml $(CONFIGFILES)
	$(UV) run snakemake power --cores 2 --configfile config/power.yaml $(CONFIGFILES)

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run pytest -q tests/test_workflow.py::test_snakemake_lint_is_clean

test: lint  ## linters, then the test suite
	$(UV) run pytest

format: setup
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

readme-figures: setup  ## the README's copies of the forest plot and CONSORT diagram, from results/figures
	$(UV) run rlstrial readme-figures
