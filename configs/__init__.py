"""Experiment configs: `get_config()` of each file is a complete, locked trainer config
(`scripts/train.py --config configs/NAME.py[:ARGS]`); `paper/` holds the papers' figures and tables."""

import pathlib

CONFIG_DIR = pathlib.Path(__file__).parent  # where the scripts' default configs are
