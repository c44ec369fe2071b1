"""PNG charts with Chinese labels for the finance bureau (matplotlib, Agg, no display).

Every chart is a horizontal bar chart sorted by value, with at most ``MAX_BARS``
departments; amounts are in 万元 with thousands separators.  Output is byte-for-byte
reproducible: fixed dpi, no "Software" metadata, no global pyplot state.

The CJK font comes from the Debian package ``fonts-wqy-microhei`` or from the path in
the environment variable ``COUNTY_CJK_FONT`` (a .ttf/.ttc file).
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import font_manager, ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image

from pipelines.errors import NoCJKFont
from pipelines.failpoints import helper_failpoint
from pipelines.settings import CJK_FONT_ENV, cjk_font

FONT_ENV = CJK_FONT_ENV
FONT_PACKAGE = "fonts-wqy-microhei"
# Debian font packages with TrueType CJK faces, preferred first.
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # fonts-wqy-microhei
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei
)
DPI = 150
MAX_BARS = 30
FIG_WIDTH = 11.0  # inches
BAR_HEIGHT_IN = 0.32  # inches of figure height per bar row
BASE_HEIGHT_IN = 2.2  # title, axis label and margins
MAX_SEGMENTS = 15  # stacked 类 segments; the smallest beyond this are merged

THREE_PUBLIC_LABELS = {
    "overseas_wan": "因公出国（境）费",
    "vehicle_wan": "公务用车购置及运行维护费",
    "reception_wan": "公务接待费",
}
QUALITY_LABELS = {"errors": "错误", "warnings": "提醒"}
# Colour-blind friendly (Okabe–Ito) for the small fixed series.
_THREE_PUBLIC_COLOURS = ("#0072B2", "#E69F00", "#009E73")
_QUALITY_COLOURS = ("#D55E00", "#F0C419")
_SINGLE_COLOUR = "#0072B2"
_OTHER_COLOUR = "#BBBBBB"

_PROBE_CHARS = "部门决算支出万元"

# One colour per 类 of 支出功能分类科目, fixed by its code (201 … 234), so that a 类 has the same
# colour in every year's chart whatever its rank or name that year: matplotlib's tab20 and
# tab20b without their greys (grey is "其他各类"), in that order, indexed by code − 201.
_CLASS_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#dbdb8d", "#9edae5", "#393b79", "#5254a3", "#6b6ecf", "#9c9ede",
    "#637939", "#8ca252", "#b5cf6b", "#cedb9c", "#8c6d31", "#bd9e39", "#e7ba52", "#e7cb94",
    "#843c39", "#ad494a", "#d6616b", "#e7969c", "#7b4173", "#a55194", "#ce6dbd", "#de9ed6",
)  # fmt: skip


def class_colour(code: object, name: object = None) -> str:
    """The colour of a 类 in every chart: by its 3-digit code; a line without a code by a
    stable digest of its name (never by rank, which changes from year to year)."""
    text = "" if code is None or (isinstance(code, float) and math.isnan(code)) else str(code)
    if len(text) == 3 and text.isdigit() and int(text) >= 201:
        return _CLASS_PALETTE[(int(text) - 201) % len(_CLASS_PALETTE)]
    key = zlib.crc32(_plain_key(name).encode("utf-8"))
    return _CLASS_PALETTE[key % len(_CLASS_PALETTE)]


# ---------------------------------------------------------------- font ----


def _font_path() -> Path:
    """The CJK font file to use: $COUNTY_CJK_FONT, else the first Debian candidate."""
    configured = cjk_font()
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise NoCJKFont(
                f"{FONT_ENV}={configured!r} is not a font file; point it at a .ttf/.ttc "
                f"CJK font or unset it and install the Debian package {FONT_PACKAGE} "
                f"(apt-get install -y {FONT_PACKAGE})"
            )
        return path
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    raise NoCJKFont(
        f"no CJK font found for chart labels (looked in {', '.join(map(str, FONT_CANDIDATES))}); "
        f"install the Debian package {FONT_PACKAGE} (apt-get install -y {FONT_PACKAGE}) "
        f"or set {FONT_ENV} to a .ttf/.ttc CJK font"
    )


@lru_cache(maxsize=8)
def _register(path: str) -> str:
    """Add the font file to matplotlib's font manager; return its family name."""
    try:
        font = ft2font.FT2Font(path)
    except Exception as exc:  # unreadable or not a font
        raise NoCJKFont(f"cannot read CJK font {path}: {exc}") from exc
    charmap = font.get_charmap()
    missing = [c for c in _PROBE_CHARS if ord(c) not in charmap]
    if missing:
        raise NoCJKFont(
            f"font {path} has no Chinese glyphs ({''.join(missing)}); install the Debian "
            f"package {FONT_PACKAGE} or set {FONT_ENV} to a CJK font"
        )
    name = font.family_name
    known = any(
        f.name == name and os.path.realpath(f.fname) == os.path.realpath(path)
        for f in font_manager.fontManager.ttflist
    )
    if not known:
        font_manager.fontManager.addfont(path)
    return name


def cjk_font_name() -> str:
    """Register the CJK font with matplotlib and return the family name to use.

    Raises NoCJKFont (naming the Debian package to install) if no font is found.
    """
    return _register(str(_font_path()))


def cjk_font_available() -> bool:
    try:
        cjk_font_name()
    except NoCJKFont:
        return False
    return True


# ------------------------------------------------------------- helpers ----


def _fmt_amount(value: float, decimals: int = 2) -> str:
    return f"{value:,.{decimals}f}"


def _tick(x: float, _pos: object = None) -> str:
    """Axis tick: thousands separators, no trailing zeros (1,500 / 2.5 / 0.25)."""
    text = f"{x:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _plain(text: object) -> str:
    """Text from documents, shown literally (no mathtext for '$', no 'nan')."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return "（未知）"
    return str(text).replace("$", r"\$")


def _new_figure(n_rows: int, extra_height: float = 0.0) -> tuple[Figure, object]:
    height = BASE_HEIGHT_IN + BAR_HEIGHT_IN * max(n_rows, 1) + extra_height
    fig = Figure(figsize=(FIG_WIDTH, round(height, 2)), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    return fig, ax


def _save(fig: Figure, out: Path) -> None:
    """Lay the figure out once, draw it once and write it as an opaque RGB PNG.

    savefig() on a figure with a layout engine draws it twice (the first time without
    rendering, to lay it out); laying it out here and drawing once gives the same pixels.
    The white figure has no transparent pixel, so the PNG is written without an alpha
    channel and at zlib level 3: the pixels of savefig's RGBA PNG at level 6, in a smaller
    file, compressed in under half the time.
    """
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine("none")
    fig.patch.set_facecolor("white")
    canvas = fig.canvas
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[:, :, :3]
    Image.fromarray(rgb, "RGB").save(out, format="png", compress_level=3, dpi=(DPI, DPI))


def _rc(font: str) -> dict[str, object]:
    return {
        "font.family": [font, "DejaVu Sans"],
        "font.size": 10,
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _top(df: pd.DataFrame, key: str, notes: list[str]) -> pd.DataFrame:
    """Sort by *key* descending (ties by department) and keep the top MAX_BARS rows."""
    df = df.sort_values([key, "department"], ascending=[False, True], kind="mergesort")
    if len(df) > MAX_BARS:
        notes.append(f"仅显示前{MAX_BARS}个部门（共{len(df)}个部门，按数值由高到低排列）。")
        df = df.head(MAX_BARS)
    return df.reset_index(drop=True)


def _finish(
    fig: Figure,
    ax,
    out: Path,
    title: str,
    xlabel: str,
    departments: list[str],
    notes: list[str],
    max_value: float,
    integer: bool = False,
) -> Path:
    n = len(departments)
    ax.set_yticks(range(n), labels=[_plain(d) for d in departments])
    ax.set_ylim(n - 0.5, -0.5)  # largest at the top
    ax.set_xlim(0, max_value * 1.18 if max_value > 0 else 1)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=integer))
    ax.xaxis.set_major_formatter(FuncFormatter(_tick))
    ax.xaxis.grid(True, color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(xlabel)
    fig.suptitle(_plain(title), fontsize=14)
    if notes:
        fig.supxlabel("注：" + "\n　　".join(notes), fontsize=9, x=0.01, ha="left", color="#444444")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _save(fig, out)
    return out


def _empty(out: Path, title: str, message: str = "无可显示的数据") -> Path:
    fig, ax = _new_figure(3)
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, transform=ax.transAxes)
    fig.suptitle(_plain(title), fontsize=14)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _save(fig, out)
    return out


def _with_font(draw: Callable[[], Path]) -> Path:
    import matplotlib as mpl

    font = cjk_font_name()
    helper_failpoint("helper.drawing_chart")
    with mpl.rc_context(_rc(font)):
        return draw()


def _numeric(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    df = df.copy()
    for col in columns:
        df[col] = pd.to_numeric(df[col], errors="coerce")
    df["department"] = df["department"].map(_plain_key)
    return df


def _plain_key(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "（未知）"
    return str(value)


def _stacked(
    ax,
    table: pd.DataFrame,
    colours: list[str],
    legend_labels: list[str],
) -> None:
    left = pd.Series(0.0, index=table.index)
    rows = np.arange(len(table))
    for col, colour, label in zip(table.columns, colours, legend_labels, strict=True):
        values = table[col]
        # zero-width bars draw nothing: only a segment with no bar at all keeps them (for
        # its legend entry)
        shown = (values != 0).to_numpy()
        if not shown.any():
            shown[:] = True
        ax.barh(
            rows[shown],
            values[shown],
            left=left[shown],
            height=0.7,
            color=colour,
            label=label,
        )
        left = left + values
    for i, total in enumerate(left):
        ax.text(total, i, " " + _fmt_amount(total), va="center", ha="left", fontsize=8)


def _legend(ax, n_items: int) -> None:
    """Legend in rows above the plot (below the title); kept inside the layout."""
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01),
        ncols=min(n_items, 4),
        frameon=False,
        fontsize=9,
        borderaxespad=0.0,
    )


def _legend_height(n_items: int) -> float:
    return 0.25 * math.ceil(n_items / 4)


# -------------------------------------------------------------- charts ----


def chart_expenditure_by_class(df: pd.DataFrame, out: Path, title: str) -> Path:
    """Stacked horizontal bars: each department's 一般公共预算财政拨款支出 by 类.

    df columns: department, subject_name (类 name), amount_wan, and subject_code (the 类's
    code, which fixes its colour; without it the colour follows the name).
    """

    def draw() -> Path:
        data = _numeric(df, ["amount_wan"])
        data["subject_name"] = data["subject_name"].map(_plain_key)
        codes = data["subject_code"] if "subject_code" in data else pd.Series(None, data.index)
        colour_of = {
            name: class_colour(code, name)
            for name, code in zip(data["subject_name"], codes, strict=True)
        }
        notes: list[str] = []
        if (data["amount_wan"] < 0).any():
            notes.append("负数金额未在图中显示。")
        data = data[data["amount_wan"] > 0]
        if data.empty:
            return _empty(out, title)
        table = data.pivot_table(
            index="department",
            columns="subject_name",
            values="amount_wan",
            aggfunc="sum",
            fill_value=0.0,
        )
        class_totals = table.sum().reset_index()
        class_totals.columns = ["subject_name", "total"]
        class_order = class_totals.sort_values(
            ["total", "subject_name"], ascending=[False, True], kind="mergesort"
        )["subject_name"].tolist()
        if len(class_order) > MAX_SEGMENTS:
            keep = class_order[: MAX_SEGMENTS - 1]
            rest = class_order[MAX_SEGMENTS - 1 :]
            other = table[rest].sum(axis=1)
            table = table[keep].copy()
            table["其他各类"] = other
            notes.append(f"支出较少的{len(rest)}个类合并为“其他各类”。")
            class_order = [*keep, "其他各类"]
        else:
            table = table[class_order]
        table["__total"] = table.sum(axis=1)
        table = _top(table.reset_index(), "__total", notes).set_index("department")
        table = table.drop(columns="__total")
        colours = [_OTHER_COLOUR if c == "其他各类" else colour_of[c] for c in class_order]
        fig, ax = _new_figure(len(table), _legend_height(len(class_order)))
        _stacked(ax, table, colours, [_plain(c) for c in class_order])
        _legend(ax, len(class_order))
        return _finish(
            fig,
            ax,
            out,
            title,
            "支出金额（万元）",
            table.index.tolist(),
            notes,
            float(table.sum(axis=1).max()),
        )

    return _with_font(draw)


def chart_three_public(df: pd.DataFrame, out: Path, title: str) -> Path:
    """Stacked horizontal bars of the “三公”经费 per department.

    df columns: department, overseas_wan, vehicle_wan, reception_wan.
    """

    def draw() -> Path:
        cols = list(THREE_PUBLIC_LABELS)
        data = _numeric(df, cols)
        notes: list[str] = []
        if (data[cols] < 0).any().any():
            notes.append("负数金额按0显示。")
        data[cols] = data[cols].fillna(0.0).clip(lower=0.0)
        table = data.groupby("department", sort=True)[cols].sum()
        table["__total"] = table.sum(axis=1)
        if table.empty or not (table["__total"] > 0).any():
            return _empty(out, title, "无“三公”经费支出数据")
        table = _top(table.reset_index(), "__total", notes).set_index("department")
        totals = table.pop("__total")
        fig, ax = _new_figure(len(table), _legend_height(3))
        _stacked(ax, table, list(_THREE_PUBLIC_COLOURS), list(THREE_PUBLIC_LABELS.values()))
        _legend(ax, 3)
        return _finish(
            fig,
            ax,
            out,
            title,
            "支出金额（万元）",
            table.index.tolist(),
            notes,
            float(totals.max()),
        )

    return _with_font(draw)


def chart_admin_per_staff(df: pd.DataFrame, out: Path, title: str) -> Path:
    """Horizontal bars of 人均 amount (万元/人); departments without staff counts left out.

    df columns: department, amount_wan, per_staff_wan (may be NaN).
    """

    def draw() -> Path:
        data = _numeric(df, ["amount_wan", "per_staff_wan"])
        data = data.groupby("department", sort=True, as_index=False).agg(
            per_staff_wan=("per_staff_wan", "max")
        )
        notes: list[str] = []
        missing = data["per_staff_wan"].isna()
        if missing.any():
            notes.append(f"{int(missing.sum())}个部门缺少人员数，未列入本图。")
        data = data[~missing]
        if data.empty:
            return _empty(out, title, "无可计算人均数的部门（缺少人员数）")
        data = _top(data, "per_staff_wan", notes)
        fig, ax = _new_figure(len(data))
        values = data["per_staff_wan"].clip(lower=0.0)
        ax.barh(range(len(data)), values, height=0.7, color=_SINGLE_COLOUR)
        for i, v in enumerate(data["per_staff_wan"]):
            ax.text(max(v, 0.0), i, " " + _fmt_amount(v), va="center", ha="left", fontsize=8)
        return _finish(
            fig,
            ax,
            out,
            title,
            "人均金额（万元/人）",
            data["department"].tolist(),
            notes,
            float(values.max()),
        )

    return _with_font(draw)


def chart_quality(df: pd.DataFrame, out: Path, title: str) -> Path:
    """Grouped horizontal bars of 错误 and 提醒 counts per department.

    df columns: department, errors, warnings.
    """

    def draw() -> Path:
        cols = list(QUALITY_LABELS)
        data = _numeric(df, cols)
        data[cols] = data[cols].fillna(0).clip(lower=0)
        data = data.groupby("department", sort=True, as_index=False)[cols].sum()
        if data.empty:
            return _empty(out, title)
        notes: list[str] = []
        data = data.sort_values(
            ["errors", "warnings", "department"], ascending=[False, False, True], kind="mergesort"
        )
        if len(data) > MAX_BARS:
            notes.append(
                f"仅显示前{MAX_BARS}个部门（共{len(data)}个部门，按错误数、提醒数由高到低排列）。"
            )
            data = data.head(MAX_BARS)
        data = data.reset_index(drop=True)
        n = len(data)
        fig, ax = _new_figure(int(n * 1.5), _legend_height(2))
        h = 0.38
        for k, (col, colour) in enumerate(zip(cols, _QUALITY_COLOURS, strict=True)):
            pos = [i - h / 2 + k * h for i in range(n)]
            ax.barh(pos, data[col], height=h, color=colour, label=QUALITY_LABELS[col])
            for y, v in zip(pos, data[col], strict=True):
                if v > 0:  # a "0" beside every clean department's bars only adds noise
                    ax.text(v, y, f" {int(v):,}", va="center", ha="left", fontsize=8)
        _legend(ax, 2)
        max_value = float(data[cols].to_numpy().max())
        out_path = _finish(
            fig,
            ax,
            out,
            title,
            "条数",
            data["department"].tolist(),
            notes,
            max(max_value, 1.0),
            integer=True,
        )
        return out_path

    return _with_font(draw)
