"""What every figure does to its picture and its data: the header, sample grids, the files."""

from __future__ import annotations

import json
import os
import platform
import time

import jax
import ml_collections

from wgan_jax.extras import train_extra

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


def machine() -> str:
  """The device and host a figure was computed on."""
  device = jax.devices()[0]
  return f"{device.platform} ({device.device_kind}), {os.cpu_count()} cores, {platform.machine()}"


def figure_header(fig: ml_collections.ConfigDict, quick: bool, start: float) -> dict:
  """The start of every training figure's JSON: its name, scale, machine and time taken."""
  return {"name": fig.name, "quick": quick, "machine": machine(), "jax": jax.__version__,
          "seconds": round(time.time() - start, 1)}


def show_grid(ax, path: str | None, title: str) -> None:
  """A saved sample grid (or nothing) in `ax`, titled, without ticks."""
  if path:
    ax.imshow(matplotlib.image.imread(path), cmap="gray", interpolation="nearest")
  ax.set_title(title, fontsize=8)
  ax.set_xticks([])
  ax.set_yticks([])


def save_figure(out_dir: str, name: str, figure: matplotlib.figure.Figure, data: dict) -> dict:
  """Writes `out_dir/NAME.png` and `out_dir/NAME.json`; returns `data`."""
  os.makedirs(out_dir, exist_ok=True)
  figure.savefig(os.path.join(out_dir, f"{name}.png"), dpi=110, bbox_inches="tight")
  with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
    json.dump(data, f, indent=1)
  return data
