from _common import start_job, stem

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import figure_meta  # noqa: E402

stems = {"forest": stem(sm.output.forest[0]), "funnel": stem(sm.output.funnel[0])}
figure_meta(dict(sm.input.items()), sm.params.favours, stems, sm.params.dpi)
