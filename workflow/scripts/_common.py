"""Helpers shared by the workflow scripts: logging to the rule's log, the raw folder."""

import logging


def to_rule_log(path: str) -> None:
    """Log to the rule's log file, uncaught errors (with their traceback) included."""
    import sys

    logging.basicConfig(
        filename=path,
        filemode="w",
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.captureWarnings(True)

    def log_uncaught(kind, error, traceback):
        logging.getLogger("rlstrial").error("stopped", exc_info=(kind, error, traceback))
        sys.__excepthook__(kind, error, traceback)

    sys.excepthook = log_uncaught


def raw_folder(raw_inputs) -> str:
    """The raw folder, from the rule's raw file inputs (all in one folder)."""
    from pathlib import Path

    return str(Path(raw_inputs[0]).parent)
