"""Regenerate a paper figure or table: `python scripts/reproduce.py NAME [--quick] [--out DIR]`.

NAME: the low-dimensional figures wgan_fig1, wgan_fig2, wgangp_fig1a, wgangp_fig1b
(configs/toy_figures.py); the training-run figures wgan_fig3 ... wgan_fig7, wgangp_fig3,
wgangp_fig5b, wgangp_table3 (configs/training_figures.py); or `all`. Each writes NAME.png
(the figure) and NAME.json (its data, settings, machine and run times) into --out (default
docs/figures). Training runs are kept in --workdir and reused by later figures (WGAN Figs. 3-7
share eight runs) or resumed if interrupted; --data_path reads a local MNIST IDX directory or
CIFAR-10 image folder instead of TFDS; --set KEY=VALUE changes one setting of the item's
config. --quick is a small version for smoke tests.
docs/REPRODUCTION.md compares each item with the paper.
"""

import sys
import time

import _bootstrap  # noqa: F401
from absl import app, flags

_QUICK = flags.DEFINE_bool("quick", False, "A small version that finishes in minutes.")
_OUT = flags.DEFINE_string("out", str(_bootstrap.REPO_ROOT / "docs" / "figures"),
                           "Output directory.")
_WORKDIR = flags.DEFINE_string("workdir", str(_bootstrap.REPO_ROOT / "runs" / "reproduce"),
                               "Where the training-run figures keep their runs.")
_DATA_PATH = flags.DEFINE_string("data_path", "", "Local data for the training-run figures: an "
                                 "MNIST IDX directory (WGAN Figs. 3-7, WGAN-GP Fig. 5b) or a "
                                 "CIFAR-10 image-folder root's train/ (WGAN-GP Fig. 3, Table 3).")
_SET = flags.DEFINE_multi_string("set", [], "KEY=VALUE: change one setting of the item's config "
                                  "(configs/toy_figures.py, configs/training_figures.py), e.g. "
                                  "--set timing_width=128 or --set runs.clip.num_steps=2000. "
                                  "Repeatable.")


def main(argv):
  from configs import toy_figures, training_figures
  from wgan_jax.config import apply_settings
  from wgan_jax.reproduce import toy_figures as toy
  from wgan_jax.reproduce import training_figures as trained
  known = {**toy.FIGURES, **trained.FIGURES}
  names = argv[1:]
  if names == ["all"]:
    names = list(known)
  unknown = [n for n in names if n not in known]
  if not names or unknown:
    print(f"error: name one or more of {sorted(known)} or 'all' (got {names}).", file=sys.stderr)
    return 2
  for name in names:
    start = time.time()
    toy_item = name in toy.FIGURES
    config = (toy_figures if toy_item else training_figures).get_config(name)
    if not toy_item:
      config.data_path = _DATA_PATH.value
    try:
      apply_settings(config, _SET.value)
    except ValueError as e:
      print(f"error: {e}", file=sys.stderr)
      return 2
    if toy_item:
      toy.FIGURES[name](config, _OUT.value, quick=_QUICK.value)
    else:
      try:
        trained.FIGURES[name](config, _OUT.value, _WORKDIR.value, quick=_QUICK.value)
      except trained.RunInterrupted as e:  # stop here: later items would be interrupted too
        print(f"stopped: {e}", file=sys.stderr)
        return 1
    print(f"{name}: wrote {_OUT.value}/{name}.png and .json in {time.time() - start:.0f} s")
  return 0


if __name__ == "__main__":
  app.run(main)
