"""The CONSORT flow diagram: counts a reader can check by hand, and the drawing."""

from __future__ import annotations

import pandas as pd
from test_figures import ARMS, DESIGN

from rlstrial.figures import consort_counts, draw_consort


def test_consort_counts_by_hand():
    ledger = pd.DataFrame(
        {
            "file": ["screening.csv"] * 5,
            "dataset": ["adsl", "adsl", "adsl", "excluded", "excluded"],
            "reason": [
                "",
                "",
                "",
                "screened, not randomized: age outside 18-75",
                "screened, not randomized: eligible but did not consent",
            ],
        }
    )
    adsl = pd.DataFrame(
        {
            "USUBJID": ["1", "2", "3"],
            "TRT01P": ["control", "massager", "massager"],
            "SAFFL": ["Y", "Y", "N"],
            "EOSSTT": ["COMPLETED", "DISCONTINUED", "COMPLETED"],
            "DCSREAS": [None, "Lost to follow-up", None],
        }
    )
    analysed = pd.DataFrame({"TRT01P": ["control", "massager"]})
    counts = consort_counts(ledger, adsl, analysed, ARMS).set_index(["box", "arm"])
    assert counts.loc[("assessed", ""), "n"] == 5
    assert (
        counts.loc[("excluded", ""), "detail"]
        == "age outside 18-75: 1\neligible but did not consent: 1"
    )
    assert counts.loc[("allocated", "massager"), "n"] == 2
    assert counts.loc[("allocated", "massager"), "detail"] == "received allocated intervention: 1"
    assert counts.loc[("discontinued", "massager"), ["n", "detail"]].tolist() == [
        1,
        "Lost to follow-up: 1",
    ]
    assert counts.loc[("analysed", "heat"), "n"] == 0  # zero counts are drawn too
    figure = draw_consort(counts.reset_index(), DESIGN)
    texts = " ".join(" ".join(t.get_text().split()) for t in figure.axes[0].texts)
    assert "Allocated to Heat therapy (n = 0)" in texts
    assert "Assessed for eligibility (n = 5)" in texts
