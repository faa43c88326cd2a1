"""Write mmrm_trial_input.csv: IRLS totals of a seeded synthetic trial (4 arms x 5
visits, dropout), the input of mmrm_trial_nlme.R. Run from the project root:

    uv run python tests/results/make_mmrm_trial_input.py
"""

from pathlib import Path

from rlstrial.config import load_config
from rlstrial.derive import derive_adqs, derive_adsl
from rlstrial.ingest import typed_tables
from rlstrial.scoring import score_questionnaires
from rlstrial.simulate import simulate_trial, write_raw_folder
from rlstrial.validate import validate_raw

ROOT = Path(__file__).resolve().parents[2]
config = load_config(
    ROOT / "config" / "config.yaml", overrides={"simulation": {"n_randomized": 160, "seed": 42}}
)
folder = ROOT / ".cache" / "mmrm_trial_raw"
write_raw_folder(simulate_trial(config), folder, "synthetic\n")
tables = typed_tables(validate_raw(folder, config)[0], config)
adsl = derive_adsl(tables, config)
adqs = derive_adqs(score_questionnaires(tables["questionnaires.csv"], config), adsl, config)
irls = adqs[(adqs["PARAMCD"] == "IRLSTOT") & adqs["AVAL"].notna()]
irls = irls[["USUBJID", "SITEID", "TRT01P", "AVISIT", "AVISITN", "AVAL"]]
irls.to_csv(Path(__file__).with_name("mmrm_trial_input.csv"), index=False, lineterminator="\n")
print(len(irls), "rows,", irls["USUBJID"].nunique(), "participants")
