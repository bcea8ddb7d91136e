"""The WGAN-GP paper's toy comparison with its seed spread: weight clipping, the two-sided
penalty and the one-sided penalty on 8 Gaussians (`gan_toy.py`'s networks and optimizers),
each method trained at `seeds` seeds as one population (`wgan_jax.population`), W1 to the data
over generator iterations drawn as the median over seeds with the band between the quartiles
and each seed's curve faintly."""

from __future__ import annotations

import json
import os
import time

import numpy as np

from wgan_jax.configs import wgan_gp_toy
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import figure_header, save_figure, subplots
from wgan_jax.paper.runs import train_or_load

METHODS = {"clip": "weight clipping", "penalty": "gradient penalty (two-sided)",
           "one_sided": "gradient penalty (one-sided)"}


def get_config():
  c = settings.training_figure("seed_spread_toy")
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


def member_series(directory: str, key: str) -> dict[int, tuple[np.ndarray, np.ndarray]]:
  """`{member: (steps, values)}` of a logged metric of a population's run."""
  rows: dict[int, dict[int, float]] = {}
  with open(os.path.join(directory, "metrics.jsonl")) as f:
    for line in f:
      row = json.loads(line)
      if key in row:
        rows.setdefault(row["member"], {})[row["step"]] = row[key]
  return {m: (np.array(sorted(r)), np.array([r[s] for s in sorted(r)])) for m, r in rows.items()}


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """W1 over iterations per method: median over seeds, the quartile band, every seed."""
  start = time.time()
  figure, ax = subplots(figsize=(7, 4.5))
  data = figure_header(fig, quick, start)
  data["methods"] = {}
  for colour, label in enumerate(label for label in METHODS if label in fig.runs):
    record = train_or_load(fig, label, workdir, quick)
    series = member_series(record.directory, "w1")
    members = sorted(series)
    steps = series[members[0]][0]
    curves = np.stack([series[m][1] for m in members if len(series[m][1]) == len(steps)])
    for curve in curves:
      ax.plot(steps, curve, color=f"C{colour}", lw=0.5, alpha=0.25)
    low, median, high = np.percentile(curves, [25, 50, 75], axis=0)
    ax.fill_between(steps, low, high, color=f"C{colour}", alpha=0.25)
    diverged = len(members) - len(curves)
    ax.plot(steps, median, color=f"C{colour}", lw=2,
            label=f"{METHODS[label]}, {len(curves)} seeds"
                  + (f" ({diverged} diverged, left out)" if diverged else ""))
    data["methods"][label] = {
        "run": os.path.basename(record.directory), "title": METHODS[label],
        "diverged_seeds": diverged,
        "seeds": [int(record.config.seed) + m for m in members], "steps": steps.tolist(),
        "w1": {str(m): series[m][1].tolist() for m in members},
        "median": median.tolist(), "quartiles": [low.tolist(), high.tolist()],
        "final_w1": {str(m): float(series[m][1][-1]) for m in members},
        "train_sec": record.metrics[-1].get("train_sec") if record.metrics else None}
  ax.set_xlabel("generator iterations")
  ax.set_ylabel("W1 to the data (exact, on samples)")
  ax.set_yscale("log")
  ax.legend(fontsize=8)
  ax.set_title("8 Gaussians, gan_toy.py's settings: median over seeds, quartile band", fontsize=9)
  return save_figure(out_dir, fig, quick, figure, data)
