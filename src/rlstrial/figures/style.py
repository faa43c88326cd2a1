"""The figures' common style and files.

One theme (:data:`STYLE`): journal column widths, the Okabe-Ito colour-blind-safe
palette, embedded fonts. It is the lowest layer: :func:`themed` applies only the
settings the caller has left at matplotlib's defaults, so a caller's
``rc_context({"font.size": 9})`` or colours win, and a ``style=`` dict given to a plot
function wins over both. :func:`save_figure` writes deterministic files (vector PDF
and SVG plus a PNG, with fixed metadata), so that the same tables give byte-identical
figures. Importing this module changes no global state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt

MM = 1 / 25.4
SINGLE_COLUMN = 85 * MM  # inches
DOUBLE_COLUMN = 174 * MM
OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"]
#: arm colours by position in the design (control first): black, orange, blue, green
ARM_PALETTE = ["#000000", "#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"]

#: the theme; text sizes relative to ``font.size``, so that a caller's font size
#: scales every text
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": "medium",
    "axes.labelsize": "medium",
    "xtick.labelsize": "small",
    "ytick.labelsize": "small",
    "legend.fontsize": "small",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
    "figure.dpi": 100,
}
#: settings of the files, not of the look: always applied when saving
SAVING = {
    "pdf.fonttype": 42,  # TrueType, embedded
    "ps.fonttype": 42,
    "svg.fonttype": "none",  # text stays text: searchable, editable by the journal
    "svg.hashsalt": "rlstrial",
}
FIXED_METADATA = {
    "pdf": {"Creator": "rlstrial", "Producer": "rlstrial", "CreationDate": None, "ModDate": None},
    "svg": {"Creator": "rlstrial", "Date": None},
    "png": {"Software": "rlstrial"},
}


@contextlib.contextmanager
def themed(style: Mapping | None = None) -> Iterator[None]:
    """Draw inside this context: the theme where the caller left matplotlib's
    defaults, the caller's settings where not, and ``style`` over both. (A setting the
    caller sets to matplotlib's own default, e.g. ``font.size`` 10, cannot be told
    from one left alone: pass it in ``style`` instead.)

    Examples
    --------
    >>> with plt.rc_context({"font.size": 11}), themed():
    ...     plt.rcParams["font.size"], plt.rcParams["axes.titlesize"]
    (11.0, 'medium')
    >>> with themed({"font.size": 6}):
    ...     plt.rcParams["font.size"]
    6.0
    """
    defaults = matplotlib.rcParamsDefault
    layer = {key: value for key, value in STYLE.items() if plt.rcParams[key] == defaults[key]}
    with plt.rc_context({**layer, **(style or {})}):
        yield


def arm_colours(codes: list[str], colours: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each arm's colour: ``colours`` where given (e.g. config ``figures.colours``),
    else the palette by the arm's position in the design.

    Examples
    --------
    >>> arm_colours(["control", "massager"], {"massager": "#CC0000"})
    {'control': '#000000', 'massager': '#CC0000'}
    """
    colours = colours or {}
    return {
        code: colours.get(code, ARM_PALETTE[k % len(ARM_PALETTE)]) for k, code in enumerate(codes)
    }


def save_figure(figure: plt.Figure, stem: str | Path, dpi: int = 300) -> list[Path]:
    """Write ``stem``.pdf, .svg and .png (``dpi``) with fixed metadata; close the figure."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    with plt.rc_context({**SAVING, "savefig.dpi": dpi}):  # embedding and SVG ids: at saving
        for kind in ("pdf", "svg", "png"):
            path = stem.with_suffix(f".{kind}")
            figure.savefig(path, metadata=FIXED_METADATA[kind])
            paths.append(path)
    plt.close(figure)
    return paths


def thumbnail(path: str | Path, out: str | Path, width: int = 1100, colours: int = 64) -> Path:
    """A smaller copy of a PNG figure (``width`` pixels, a ``colours`` palette), for
    documentation: the README shows the default run's forest plot and CONSORT
    diagram this way."""
    from PIL import Image

    image = Image.open(path).convert("RGB")
    height = round(image.height * width / image.width)
    small = image.resize((width, height), Image.Resampling.LANCZOS).quantize(colors=colours)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    small.save(out, optimize=True)
    return out
