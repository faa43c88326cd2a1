from pathlib import Path

from _common import start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import submission  # noqa: E402

datasets = {name: sm.input[name] for name in ("adsl", "adqs", "adae")}
config = sm.params.config
submission(datasets, config["arms"], config["visits"], Path(sm.output.specification_csv).parent)
