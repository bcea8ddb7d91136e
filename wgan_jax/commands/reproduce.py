"""Regenerate paper figures and tables: `python -m wgan_jax.reproduce NAME [NAME ...] [--quick]`.

  python -m wgan_jax.reproduce NAME [NAME ...] [--quick] [--out DIR]     # or `all`
  python -m wgan_jax.reproduce --config NAME [--config.KEY=VALUE ...] [--quick]
  python -m wgan_jax.reproduce --stale [--out DIR]      # which figures the code would draw anew

NAME is a figure of `wgan_jax.paper.FIGURES`: the low-dimensional wgan_fig1, wgan_fig2,
wgangp_fig1a, wgangp_fig1b; the training-run figures wgan_fig3 ... wgan_fig7, wgangp_fig3,
wgangp_fig5b, wgangp_table3, wgangp_language, the architecture studies wgangp_fig2 and
wgangp_table2, and the GAN family's gan_saturation, conditional_mnist, semi_supervised_mnist
and infogan_mnist. Each writes NAME.png (the figure) and NAME.json (its data, settings, machine
and run times) into --out (default docs/figures). With --config, one item is drawn with its
settings changed by ml_collections overrides, e.g. `--config.num_steps=5000` (every run of a
figure) or `--config.runs.clip.num_steps=5000` (one run). Training runs are kept in --workdir
and reused by later figures (WGAN Figs. 3-7 share eight runs) or resumed if interrupted;
--data_path reads a local MNIST IDX directory, CIFAR-10 image folder or text corpus instead of
TFDS; for several items at once, name each kind's path (`--data_path mnist_idx=DIR,
image_folder=DIR,text=DIR`) and each item takes its own. --quick is a small version for smoke
tests that finishes in minutes (docs/reproduction/README.md lists each item's time). docs/reproduction/ compares each item with
the paper.

Every NAME.json records what made it (`wgan_jax.paper.provenance`): the settings of each run it
draws, the training revision of the code that trained them, the package version and commit, the
machine and the date. --stale compares each figure under --out with what the current code and
configs would train, lists the stale ones with the settings that changed, and exits 1 if any is.
"""

from __future__ import annotations

import os
import pathlib
import sys
import time

from absl import flags

from wgan_jax import configs, paper
from wgan_jax.commands import common

# The files the figure configs lived in before each figure became one module.
_FORMER_FILES = ("configs/paper/toy_figures.py", "configs/paper/training_figures.py")


def resolve_figure(spec: str) -> str:
  """A figure named as `--config` takes it (`NAME`, `wgan_jax.paper.NAME`, the figure's file,
  or the former `configs/paper/*_figures.py:NAME`) as the file that holds its config."""
  what, _, args = spec.partition(":")
  if what.endswith(_FORMER_FILES) and args in paper.FIGURES:
    return str(paper.config_path(args))
  return configs.resolve(spec, pathlib.Path(paper.__file__).parent, paper.__name__)


def _define_flags(flag_values: flags.FlagValues, argv: list[str]) -> dict:
  define = dict(flag_values=flag_values)
  return {
      "config": common.define_config_file(
          "config", None, "One figure's config, named (e.g. wgangp_table3) or by file; its "
          "settings can then be changed with --config.KEY=VALUE.", flag_values, argv,
          resolve=resolve_figure),
      "quick": flags.DEFINE_bool("quick", False, "A small version that finishes in minutes.",
                                 **define),
      "stale": flags.DEFINE_bool("stale", False, "List the figures under --out that the "
                                 "current code and configs would draw differently; exit 1 if "
                                 "any.", **define),
      "out": flags.DEFINE_string("out", "docs/figures", "Output directory.", **define),
      "workdir": flags.DEFINE_string("workdir", "runs/reproduce",
                                     "Where the training-run figures keep their runs.", **define),
      "data_path": flags.DEFINE_string(
          "data_path", "", "Local data for the training-run figures: an MNIST IDX directory "
          "(WGAN Figs. 3-7, WGAN-GP Fig. 5b), a CIFAR-10 image-folder root's train/ (WGAN-GP "
          "Fig. 3, Table 3) or a text corpus (the language model); or, for several items, "
          "KIND=PATH pairs (kinds: mnist_idx, image_folder, text), each item taking its "
          "kind's.", **define),
  }


def _items(names: list[str], config, config_name: str):
  """`[(name, config)]` to draw: the --config item, or each named item with its defaults."""
  if config is not None:
    name = config.name
    if names and names != [name]:
      raise ValueError(f"--config {config_name} draws {name!r}; drop the names {names} or the "
                       f"--config.")
    return [(name, config)]
  if names == ["all"]:
    names = list(paper.FIGURES)
  unknown = [n for n in names if n not in paper.FIGURES]
  if not names or unknown:
    raise ValueError(f"name one or more of {', '.join(paper.FIGURES)} or 'all' (got {names}).")
  return [(name, paper.figure(name).get_config()) for name in names]


DATA_KINDS = ("mnist_idx", "image_folder", "text")  # the figures' `local_source`s


def data_paths(spec: str) -> dict[str, str] | str:
  """`--data_path`: one path for every item, or `{kind: absolute path}` from KIND=PATH pairs.

  Paths are made absolute so that a run is found again from another directory."""
  if "=" not in spec:
    return os.path.abspath(spec) if spec else ""
  paths = {}
  for pair in spec.split(","):
    kind, sep, path = pair.partition("=")
    kind = kind.strip()
    if not sep or kind not in DATA_KINDS or not path.strip():
      raise ValueError(f"--data_path {spec!r}: give one path, or KIND=PATH pairs separated by "
                       f"commas with KIND one of {', '.join(DATA_KINDS)} (got {pair!r}).")
    paths[kind] = os.path.abspath(path.strip())
  return paths


def item_data_path(paths: dict[str, str] | str, config) -> str:
  """The local data path item `config` reads: its kind's, or '' (TFDS, or an item on generated
  data, whose `local_source` is '') when none is given."""
  kind = config.get("local_source", "")
  if not kind:
    return ""
  return paths if isinstance(paths, str) else paths.get(kind, "")


def _print_progress(name: str, config, out_dir: str, workdir: str, quick: bool) -> None:
  """What is left of item `name` before it starts: its runs finished and to train."""
  import json

  from wgan_jax.paper import provenance, runs

  labels = provenance.drawn_runs(config, quick)
  if not labels:
    return
  previous = pathlib.Path(out_dir) / f"{name}.json"
  try:
    previous = json.loads(previous.read_text()) if previous.exists() else None
  except ValueError:
    previous = None
  print(f"{name}: {runs.progress(config, labels, workdir, quick, previous)}", flush=True)


def report_stale(out_dir: str) -> int:
  """Prints each stale figure under `out_dir` and why; 1 if any is, else 0."""
  from wgan_jax.paper import provenance

  stale = provenance.stale_figures(out_dir)
  for path, reasons in stale.items():
    print(f"{path}: stale")
    for reason in reasons:
      print(f"  {reason}")
  checked = len(provenance.figure_files(out_dir))
  print(f"{len(stale)} stale of {checked} figures under {out_dir} (and {len(paper.FIGURES)} "
        f"items)." if stale else f"All {checked} figures under {out_dir} are current.")
  return 1 if stale else 0


def main(argv: list[str] | None = None) -> int:
  argv = list(sys.argv if argv is None else argv)
  flag_values = flags.FlagValues()
  given = _define_flags(flag_values, argv)
  names = common.parse_flags(argv, flag_values, __doc__, positional=True)[1:]
  value = {name: holder.value for name, holder in given.items()}
  common.quiet_logs()
  if value["stale"]:
    if names or value["config"] is not None:
      print("error: --stale checks every figure under --out; name no figure.", file=sys.stderr)
      return common.USAGE_ERROR
    return report_stale(value["out"])
  try:
    items = _items(names, value["config"], common.config_name(flag_values))
    paths = data_paths(value["data_path"])
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return common.USAGE_ERROR
  from wgan_jax.paper.runs import RunInterrupted  # the trainer: heavy, needed from here on

  for name, config in items:
    start = time.time()
    if item_data_path(paths, config) and "data_path" in config:
      config.data_path = item_data_path(paths, config)
    _print_progress(name, config, value["out"], value["workdir"], value["quick"])
    try:
      paper.figure(name).make(config, value["out"], value["workdir"], quick=value["quick"])
    except RunInterrupted as error:  # stop here: later items would be interrupted too
      print(f"stopped: {error}", file=sys.stderr)
      return 1
    print(f"{name}: wrote {pathlib.Path(value['out']) / name}.png and .json in "
          f"{time.time() - start:.0f} s")
  return 0


def run() -> None:
  sys.exit(main())


if __name__ == "__main__":
  run()
