"""Regenerate paper figures and tables.

  python scripts/reproduce.py NAME [NAME ...] [--quick] [--out DIR]      # or `all`
  python scripts/reproduce.py --config configs/paper/training_figures.py:NAME \
      [--config.KEY=VALUE ...] [--quick]

NAME: the low-dimensional figures wgan_fig1, wgan_fig2, wgangp_fig1a, wgangp_fig1b
(configs/paper/toy_figures.py); the training-run figures wgan_fig3 ... wgan_fig7, wgangp_fig3,
wgangp_fig5b, wgangp_table3, wgangp_language, the architecture studies wgangp_fig2 and
wgangp_table2, gan_saturation, conditional_mnist, semi_supervised_mnist and infogan_mnist
(configs/paper/training_figures.py). Each writes NAME.png (the
figure) and NAME.json (its data, settings, machine and run times) into --out (default
docs/figures). With --config, one item is drawn with its settings changed by ml_collections
overrides, e.g. `--config.num_steps=5000` (every run of a figure) or
`--config.runs.clip.num_steps=5000` (one run). Training runs are kept in --workdir and reused
by later figures (WGAN Figs. 3-7 share eight runs) or resumed if interrupted; --data_path reads
a local MNIST IDX directory or CIFAR-10 image folder instead of TFDS. --quick is a small
version for smoke tests. docs/REPRODUCTION.md compares each item with the paper.
"""

import os
import pathlib
import sys
import time

from absl import app, flags, logging

from wgan_jax import cli

_CONFIG = cli.define_config_file(
    "config", None, "One item's config, configs/paper/{toy,training}_figures.py:NAME; its "
    "settings can then be changed with --config.KEY=VALUE.")
_QUICK = flags.DEFINE_bool("quick", False, "A small version that finishes in minutes.")
_OUT = flags.DEFINE_string("out", "docs/figures", "Output directory.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/reproduce",
                               "Where the training-run figures keep their runs.")
_DATA_PATH = flags.DEFINE_string("data_path", "", "Local data for the training-run figures: an "
                                 "MNIST IDX directory (WGAN Figs. 3-7, WGAN-GP Fig. 5b) or a "
                                 "CIFAR-10 image-folder root's train/ (WGAN-GP Fig. 3, Table 3).")


def _trained_figures() -> dict:
  """The figures made from training runs: the papers' and the GAN family's."""
  from wgan_jax.reproduce import architecture_figures, family_figures, training_figures

  return {**training_figures.FIGURES, **family_figures.FIGURES, **architecture_figures.FIGURES}


def _items(names: list[str]):
  """`[(name, config)]` to draw: the --config item, or each named item with its defaults."""
  from configs.paper import toy_figures, training_figures
  from wgan_jax.reproduce import toy_figures as toy

  known = {**toy.FIGURES, **_trained_figures()}
  if _CONFIG.value is not None:
    name = _CONFIG.value.name
    if names and names != [name]:
      raise ValueError(f"--config draws {name!r}; drop the names {names} or the --config.")
    names = [name]
  elif names == ["all"]:
    names = list(known)
  unknown = [n for n in names if n not in known]
  if not names or unknown:
    raise ValueError(f"name one or more of {sorted(known)} or 'all' (got {names}).")
  for name in names:
    if _CONFIG.value is not None:
      config = _CONFIG.value
    else:
      config = (toy_figures if name in toy.FIGURES else training_figures).get_config(name)
    yield name, config


def main(argv):
  logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
  from wgan_jax.reproduce import toy_figures as toy
  from wgan_jax.reproduce import training_figures as trained

  trained_figures = _trained_figures()
  try:
    items = list(_items(argv[1:]))
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  for name, config in items:
    start = time.time()
    if name in toy.FIGURES:
      toy.FIGURES[name](config, _OUT.value, quick=_QUICK.value)
    else:
      if _DATA_PATH.value:  # absolute, so that a run is found again from another directory
        config.data_path = os.path.abspath(_DATA_PATH.value)
      try:
        trained_figures[name](config, _OUT.value, _WORKDIR.value, quick=_QUICK.value)
      except trained.RunInterrupted as e:  # stop here: later items would be interrupted too
        print(f"stopped: {e}", file=sys.stderr)
        return 1
    print(f"{name}: wrote {pathlib.Path(_OUT.value) / name}.png and .json in "
          f"{time.time() - start:.0f} s")
  return 0


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)
