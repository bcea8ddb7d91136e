"""What every figure does to its picture and its data: the header, sample grids, the files."""

from __future__ import annotations

import json
import os
import time

import jax
import ml_collections

from wgan_jax.extras import train_extra
from wgan_jax.paper import provenance
from wgan_jax.paper.provenance import machine  # noqa: F401  (the figures' machine line)

with train_extra(__name__):
  import matplotlib.figure
  import matplotlib.image


def new_figure(**kwargs) -> matplotlib.figure.Figure:
  """A figure outside pyplot's state: drawn without a display and without touching the
  process's matplotlib backend."""
  return matplotlib.figure.Figure(**kwargs)


def subplots(*args, **kwargs):
  """`(figure, axes)` as `pyplot.subplots` makes them, on a `new_figure`."""
  figure = new_figure(figsize=kwargs.pop("figsize", None))
  return figure, figure.subplots(*args, **kwargs)


_START = "_started"  # a header's start time, replaced by `seconds` when the figure is saved


def figure_header(fig: ml_collections.ConfigDict, quick: bool, start: float) -> dict:
  """The start of every training figure's JSON: its name, scale, machine and, once saved
  (`save_figure`), `seconds`: the wall-clock from `start` (the item's start) to its files,
  training included."""
  return {"name": fig.name, "quick": quick, "machine": machine(), "jax": jax.__version__,
          "seconds": None, _START: start}


def show_grid(ax, path: str | None, title: str) -> None:
  """A saved sample grid (or nothing) in `ax`, titled, without ticks."""
  if path:
    ax.imshow(matplotlib.image.imread(path), cmap="gray", interpolation="nearest")
  ax.set_title(title, fontsize=8)
  ax.set_xticks([])
  ax.set_yticks([])


def save_figure(out_dir: str, fig: ml_collections.ConfigDict, quick: bool,
                figure: matplotlib.figure.Figure, data: dict) -> dict:
  """Writes `out_dir/NAME.png` and `out_dir/NAME.json`, the JSON with what made the figure
  (`provenance.record`); returns `data`."""
  name = fig.name
  if _START in data:
    data["seconds"] = round(time.time() - data.pop(_START), 1)
  data["provenance"] = provenance.record(fig, quick)
  os.makedirs(out_dir, exist_ok=True)
  figure.savefig(os.path.join(out_dir, f"{name}.png"), dpi=110, bbox_inches="tight")
  with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
    json.dump(data, f, indent=1)
  return data
