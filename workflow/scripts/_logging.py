"""Send the package's log to the rule's log file (shared by the workflow scripts)."""

import logging


def to_rule_log(path: str) -> None:
    logging.basicConfig(
        filename=path,
        filemode="w",
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
