"""Regenerate a paper figure: `python scripts/reproduce.py NAME [--quick] [--out DIR]`.

NAME: wgan_fig1, wgan_fig2, wgangp_fig1a, wgangp_fig1b (see configs/toy_figures.py), or
`all`. Each writes NAME.png (the figure) and NAME.json (its data, settings and run times)
into --out (default docs/figures); --quick is a small version for smoke tests.
docs/REPRODUCTION.md compares each figure with the paper.
"""

import sys
import time

import _bootstrap  # noqa: F401
from absl import app, flags

_QUICK = flags.DEFINE_bool("quick", False, "A small version that finishes in minutes.")
_OUT = flags.DEFINE_string("out", str(_bootstrap.REPO_ROOT / "docs" / "figures"),
                           "Output directory.")


def main(argv):
  from configs import toy_figures
  from wgan_jax.reproduce.toy_figures import FIGURES
  names = argv[1:]
  if names == ["all"]:
    names = list(FIGURES)
  unknown = [n for n in names if n not in FIGURES]
  if not names or unknown:
    print(f"error: name one or more of {sorted(FIGURES)} or 'all' (got {names}).",
          file=sys.stderr)
    return 2
  for name in names:
    start = time.time()
    FIGURES[name](toy_figures.get_config(name), _OUT.value, quick=_QUICK.value)
    print(f"{name}: wrote {_OUT.value}/{name}.png and .json in {time.time() - start:.0f} s")
  return 0


if __name__ == "__main__":
  app.run(main)
