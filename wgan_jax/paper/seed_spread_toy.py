"""The WGAN-GP paper's toy comparison with its seed spread: weight clipping, the two-sided
penalty and the one-sided penalty on 8 Gaussians (`gan_toy.py`'s networks and optimizers),
each method trained at `seeds` seeds as one population (`wgan_jax.population`), W1 to the data
over generator iterations drawn as the median over seeds with the band between the quartiles
and each seed's curve faintly."""

from __future__ import annotations

import os
import time

from wgan_jax.configs import wgan_gp_toy
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import figure_header, save_figure, subplots
from wgan_jax.paper.runs import train_or_load
from wgan_jax.paper.spread import draw_band, member_series

METHODS = {"clip": "weight clipping", "penalty": "gradient penalty (two-sided)",
           "one_sided": "gradient penalty (one-sided)"}


def get_config():
  c = settings.training_figure("seed_spread_toy")
  c.local_source = ""  # 8 Gaussians, generated: no --data_path applies
  c.seeds = 8
  c.num_steps = 2000
  c.eval_every = 100
  c.eval_samples = 1000  # generated and real points behind each W1
  c.quick.update(dict(num_steps=20, eval_every=10, sample_every=10, log_every=10))
  for label in METHODS:
    run = wgan_gp_toy.get_config("8gaussians," + ("wgan" if label == "clip" else "wgan-gp"))
    run.constraint.one_sided = label == "one_sided"
    c.runs[label] = settings.scaled(run, {
        "num_steps": settings.follows(c, "num_steps"), "log_every": settings.follows(c, "eval_every"),
        "sample_every": settings.follows(c, "num_steps"),
        "checkpoint_every": 500,  # a long item resumes across sessions
        "eval.every": settings.follows(c, "eval_every"), "eval.metrics": ("w1", "modes"),
        "eval.num_samples": settings.follows(c, "eval_samples"),
        "population.size": settings.follows(c, "seeds")})
  c.lock()
  return c


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """W1 over iterations per method: median over seeds, the quartile band, every seed."""
  start = time.time()
  figure, ax = subplots(figsize=(7, 4.5))
  data = figure_header(fig, quick, start)
  data["methods"] = {}
  for colour, label in enumerate(label for label in METHODS if label in fig.runs):
    record = train_or_load(fig, label, workdir, quick)
    series = member_series(record.directory, "w1")
    drawn = draw_band(ax, series, f"C{colour}", METHODS[label])
    data["methods"][label] = {
        "label": label, "run": os.path.basename(record.directory), "title": METHODS[label],
        "diverged_seeds": drawn["diverged_seeds"],
        "seeds": [int(record.config.seed) + m for m in sorted(series)], "steps": drawn["steps"],
        "w1": drawn["values"], "median": drawn["median"], "quartiles": drawn["quartiles"],
        "final_w1": {m: values[-1] for m, values in drawn["values"].items()},
        "train_sec": record.metrics[-1].get("train_sec") if record.metrics else None}
  ax.set_xlabel("generator iterations")
  ax.set_ylabel("W1 to the data (exact, on samples)")
  ax.set_yscale("log")
  ax.legend(fontsize=8)
  ax.set_title("8 Gaussians, gan_toy.py's settings: median over seeds, quartile band", fontsize=9)
  return save_figure(out_dir, fig, quick, figure, data)
