"""Experiment configs: `get_config()` of each module is a complete, locked trainer config.

The repository's `configs/` folder installs as `wgan_jax.configs`. A command names one by file
(`--config configs/wgan_gp_cifar.py:wgan`) or, from anywhere, by name (`--config
wgan_gp_cifar:wgan` or `--config wgan_jax.configs.wgan_gp_cifar:wgan`): `resolve`.
"""

from __future__ import annotations

import os
import pathlib

CONFIG_DIR = pathlib.Path(__file__).parent  # where the shipped configs are


def shipped() -> list[str]:
  """The names of the shipped configs (those with a `get_config`)."""
  return sorted(path.stem for path in CONFIG_DIR.glob("*.py")
                if not path.stem.startswith("_") and "def get_config" in path.read_text())


def resolve(spec: str, directory: pathlib.Path = CONFIG_DIR,
            package: str = "wgan_jax.configs") -> str:
  """`spec` (`WHAT[:ARGS]`) as a file a config flag can load.

  An existing file is taken as it is. Otherwise WHAT may name a module of `package` in
  `directory`: `NAME`, `PACKAGE.NAME`, or a path whose file name is `NAME.py` (so a
  command copied from the repository's README, `configs/NAME.py`, works outside the checkout).
  Anything else is returned unchanged, for the loader to report.
  """
  what, colon, args = spec.partition(":")
  if not what or os.path.exists(what):
    return spec
  name = what[len(package) + 1:] if what.startswith(package + ".") else what
  name = os.path.basename(name)
  name = name[:-3] if name.endswith(".py") else name
  candidate = directory / f"{name}.py"
  if name and not name.startswith("_") and candidate.is_file():
    return f"{candidate}{colon}{args}"
  return spec
