"""The team summary's heatmap as a PNG: one row per person, one column per competency, each cell coloured by
the level shown against that person's target and labelled as the chat text writes it (`3/3✓`, `1/3↓↓`).

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global state), so it is
safe to render in a worker thread while the server keeps answering. Text is drawn without anti-aliasing
(crisp at 8 points, and no fringe of greys to compress) and the image is saved with a 16-colour, 4-bit
palette (Pillow, which matplotlib itself depends on): about half the size of the anti-aliased 8-bit image,
so the heatmap of a team of up to about 35 people fits inline in a Teams message.
"""

from __future__ import annotations

import io

from PIL import Image

from bot.replies import HeatCell, TeamSummary
from bot.team.text import cell_text, people, standing

COLOURS = ["#e6e6e6", "#2e9e5b", "#f2c94c", "#d64545", "#8fa8c8"]
"""No target, met, one below, two or more below, no answers yet."""
NONE, MET, NEAR, FAR, NEW = range(5)
ROW_INCHES = 0.28
COLUMN_INCHES = 0.95
CHAR_INCHES = 0.07
"""About the width of one character of 8-point text: margins are sized from the longest names."""
DPI = 72
PALETTE = 16
LEGEND = ("✓ green: target met · ↓ amber: one level below · ↓↓ red: two or more below\n"
          "–/n blue: no answers yet · grey: no target")


CODES = {"none": NONE, "met": MET, "near": NEAR, "far": FAR, "new": NEW}


def cell_code(cell: HeatCell | None) -> int:
    return CODES[standing(cell)]


def cell_label(cell: HeatCell | None) -> str:
    """The cell as the chat text writes it (`3/3✓`, `2/3↓`, `0/3↓↓`, `–/2`), so no cell is told apart by its
    colour alone; nothing on grey cells (fewer labels, a faster drawing)."""
    if cell is None or not cell.target:
        return ""
    return cell_text(cell)


def heatmap_png(summary: TeamSummary) -> bytes:
    """Everyone in the summary (grouped teams keep their groups, separated by a line), as PNG bytes."""
    # matplotlib takes a third of a second to import: only the summaries that draw a heatmap pay for it
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    rows: list[tuple[str, list[HeatCell | None]]] = []
    separators: list[int] = []
    for group in summary.groups:
        if summary.grouped and rows:
            separators.append(len(rows))
        rows += [(m.name, m.cells) for m in group.members]
    width = max(len(summary.competencies), 1)
    labels = [_short(c.label) for c in summary.competencies]
    margins = {"left": 0.3 + CHAR_INCHES * max((len(name) for name, _ in rows), default=4),
               "right": 0.2, "top": 0.75, "bottom": 0.35 + 0.6 * CHAR_INCHES * max(map(len, labels), default=4)}
    size = (margins["left"] + margins["right"] + COLUMN_INCHES * width,
            margins["top"] + margins["bottom"] + ROW_INCHES * max(len(rows), 1))
    figure = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=margins["left"] / size[0], right=1 - margins["right"] / size[0],
                           bottom=margins["bottom"] / size[1], top=1 - margins["top"] / size[1])
    axes = figure.add_subplot()
    codes = [[cell_code(cell) for cell in cells] for _, cells in rows] or [[NONE] * width]
    axes.imshow(codes, cmap=ListedColormap(COLOURS), vmin=0, vmax=len(COLOURS) - 1, aspect="auto",
                interpolation="nearest")
    for y, (_, cells) in enumerate(rows):
        for x, cell in enumerate(cells):
            if label := cell_label(cell):
                axes.text(x, y, label, ha="center", va="center", fontsize=8, antialiased=False,
                          color="white" if cell_code(cell) in (MET, FAR, NEW) else "#333333")
    axes.set_xticks(range(len(labels)), labels, rotation=35, ha="right", fontsize=8, antialiased=False)
    axes.set_yticks(range(len(rows)), [name for name, _ in rows], fontsize=8, antialiased=False)
    axes.set_xticks([x - 0.5 for x in range(1, width)], minor=True)
    axes.set_yticks([y - 0.5 for y in range(1, len(rows))], minor=True)
    axes.grid(which="minor", color="white", linewidth=1.5)
    axes.tick_params(which="both", length=0)
    for line in separators:
        axes.axhline(line - 0.5, color="black", linewidth=1.2)
    for spine in axes.spines.values():
        spine.set_visible(False)
    title = f"{summary.scope or 'Levels against targets'} — {people(summary.people)} (cell: level/target)"
    axes.set_title(f"{title}\n{LEGEND}", fontsize=8, antialiased=False)
    canvas = figure.canvas
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    buffer = io.BytesIO()
    image.quantize(palette=_palette(), dither=Image.Dither.NONE).save(buffer, format="PNG", optimize=True, bits=4)
    return buffer.getvalue()


def _palette() -> Image.Image:
    """The cell colours exactly, plus the greys that text and lines need: every pixel maps to its nearest."""
    greys = [f"#{v:02x}{v:02x}{v:02x}" for v in range(0, 256, 255 // (PALETTE - len(COLOURS) - 1))]
    colours = [int(c[i:i + 2], 16) for c in [*COLOURS, *greys][:PALETTE] for i in (1, 3, 5)]
    palette = Image.new("P", (1, 1))
    palette.putpalette(colours + [0] * (768 - len(colours)))
    return palette


def _short(label: str) -> str:
    return label if len(label) <= 26 else label[:25] + "…"
