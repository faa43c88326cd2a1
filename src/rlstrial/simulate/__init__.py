"""Seeded simulators of raw trial folders.

Two designs are available, chosen by ``simulation.design`` in the configuration:

``factorial`` (:mod:`rlstrial.simulate.factorial`)
    A definitive-trial-sized 2x2 factorial trial: stratified permuted-block
    randomization at several sites, weekly IRLS, MOS Sleep at weeks 0, 2 and 4,
    RLS-QoL at weeks 0 and 4, dropout that depends on the last observed severity
    (missing at random), missing items, adverse events, adherence diaries and a
    screening log with exclusions. True effects are set in the configuration.
``park2020`` (:mod:`rlstrial.simulate.park2020`)
    A replica of the Park, Ambrogi & Hade (2020) pilot: 28 participants (7/8/6/7),
    baseline and week 4, calibrated so that the per-arm IRLS means and SDs equal the
    published table within rounding and the published differences are reproduced.

Both take their arms from ``config["arms"]`` and know an arm's role only from its
factor levels (``massager``, ``heat``). Pieces they share are in
:mod:`rlstrial.simulate.shared`. The same configuration and seed give byte-identical
files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rlstrial.rawdata import RAW_FILES
from rlstrial.simulate.factorial import simulate_factorial
from rlstrial.simulate.park2020 import simulate_park2020
from rlstrial.simulate.shared import as_text

__all__ = ["simulate_trial", "write_raw_folder"]


def simulate_trial(config: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Simulate a raw trial folder's tables from ``config["simulation"]``.

    Parameters
    ----------
    config
        A validated configuration (see :func:`rlstrial.config.load_config`); its
        ``simulation`` section chooses the design and holds the seed and parameters,
        its ``arms`` section the arms, its ``visits`` section the visit schedule.

    Returns
    -------
    dict of DataFrame
        One table per raw file, keyed by file name (``"randomization.csv"``, ...),
        with the columns of :data:`rlstrial.rawdata.RAW_FILES`, all as strings as
        they will be written.

    Examples
    --------
    >>> from rlstrial.config import load_config
    >>> cfg = load_config("config/config.yaml", "config/park2020.yaml")
    >>> tables = simulate_trial(cfg)
    >>> tables["randomization.csv"]["arm"].value_counts().sort_index().to_dict()
    {'combined': 7, 'control': 7, 'heat': 6, 'massager': 8}
    """
    sim = config["simulation"]
    rng = np.random.default_rng(sim["seed"])
    if sim["design"] == "park2020":
        tables = simulate_park2020(rng, sim, config)
    else:
        tables = simulate_factorial(rng, sim, config)
    return {name: as_text(tables[name], name) for name in RAW_FILES}


def write_raw_folder(tables: dict[str, pd.DataFrame], folder: str | Path, note: str) -> None:
    """Write simulated tables as UTF-8 CSV files (LF line ends) plus a README.

    Parameters
    ----------
    tables
        The output of :func:`simulate_trial`.
    folder
        Where to write; created if missing. Existing files of the same names are replaced.
    note
        Text for the folder's README.md, which marks the data as synthetic.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(folder / name, index=False, lineterminator="\n", encoding="utf-8")
    (folder / "README.md").write_text(note, encoding="utf-8")
