from _common import plan, start_job, stem

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import figure_trajectories  # noqa: E402

stems = list(dict.fromkeys(stem(path) for path in sm.output))  # one per outcome, in order
figure_trajectories(list(sm.input.results), plan(sm), stems, sm.params.dpi)
