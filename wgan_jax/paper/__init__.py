"""The papers' figures and tables: one module each, holding its config and its drawing.

    python -m wgan_jax.reproduce NAME [NAME ...] [--quick]

A figure module has `get_config()`, its settings as an ml-collections config (for a figure made
of training runs, those runs as complete trainer configs under `runs`), and
`make(config, out_dir, workdir, quick=False)`, which trains or reuses what the figure needs,
writes `NAME.png` and `NAME.json` into `out_dir` and returns the JSON data. `FIGURES` names
them all; `figure(NAME)` imports one. The library proper never imports this package.
"""

from __future__ import annotations

import importlib
import pathlib
import types

# In the papers' order: WGAN, WGAN-GP, then the GAN family run on the same machinery.
FIGURES = (
    "wgan_fig1", "wgan_fig2", "wgan_fig3", "wgan_fig4", "wgan_fig5", "wgan_fig6", "wgan_fig7",
    "wgangp_fig1a", "wgangp_fig1b", "wgangp_fig2", "wgangp_table2", "wgangp_fig3",
    "wgangp_fig5b", "wgangp_table3", "wgangp_language", "wgangp_fig2_newer", "seed_spread_toy",
    "seed_spread_mnist", "lr_lambda_toy",
    "gan_saturation", "conditional_mnist", "semi_supervised_mnist", "infogan_mnist",
)


class UnknownFigure(ValueError):
  """A figure name the registry does not hold."""


def figure(name: str) -> types.ModuleType:
  """The module of figure `name` (its `get_config` and `make`)."""
  if name not in FIGURES:
    raise UnknownFigure(f"Unknown figure {name!r}; choose one of {', '.join(FIGURES)}.")
  return importlib.import_module(f"{__name__}.{name}")


def config_path(name: str) -> pathlib.Path:
  """The file of figure `name`, as `--config` of `python -m wgan_jax.reproduce` loads it."""
  if name not in FIGURES:
    raise UnknownFigure(f"Unknown figure {name!r}; choose one of {', '.join(FIGURES)}.")
  return pathlib.Path(__file__).parent / f"{name}.py"
