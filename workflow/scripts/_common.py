"""Helpers shared by the workflow scripts: starting a job (its log, its BLAS threads),
the raw folder, and the analysis plan from the rule's params."""

import logging
import os
import sys

BLAS_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def start_job(sm) -> None:
    """Log to the rule's log file (uncaught errors with their traceback included) and
    keep BLAS to the job's threads, so that parallel jobs never oversubscribe the cores."""
    for variable in BLAS_VARIABLES:  # read by BLAS when numpy is first imported
        os.environ[variable] = str(sm.threads)
    if "numpy" in sys.modules:  # already loaded: limit it in place
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=sm.threads)
    logging.basicConfig(
        filename=sm.log[0],
        filemode="w",
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.captureWarnings(True)
    slurm_job = os.environ.get("SLURM_JOB_ID")  # the cluster's job id, named in the log
    if slurm_job:
        logging.getLogger("rlstrial").info("running as SLURM job %s", slurm_job)

    def log_uncaught(kind, error, traceback):
        logging.getLogger("rlstrial").error("stopped", exc_info=(kind, error, traceback))
        sys.__excepthook__(kind, error, traceback)

    sys.excepthook = log_uncaught


def raw_folder(raw_inputs) -> str:
    """The raw folder, from the rule's raw file inputs (all in one folder)."""
    from pathlib import Path

    return str(Path(raw_inputs[0]).parent)


def plan(sm):
    """The plan sections the rule was given as ``params.plan``."""
    from rlstrial.plan import Plan

    return Plan.from_params(sm.params.plan)


def stem(path) -> str:
    """A figure's path without its extension."""
    from pathlib import Path

    return str(Path(path).with_suffix(""))
