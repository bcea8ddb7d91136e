"""The default job's sensitivity to its two main settings: the learning rate (generator and
critic alike, as in `gan_toy.py`) crossed with the penalty weight lambda, on 8 Gaussians, all
cells trained as one population from the same seed, drawn as a heat map of the final W1 to the
data (the median of each cell's last `final_evals` evaluations)."""

from __future__ import annotations

import itertools
import os
import time

import numpy as np

from wgan_jax.configs import default
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import figure_header, save_figure, subplots
from wgan_jax.paper.runs import train_or_load
from wgan_jax.paper.spread import member_series
from wgan_jax.population import parse_sweep

LEARNING_RATE, LAMBDA = "optimizer.critic.learning_rate", "constraint.weight"


def grid_sweep(learning_rates, lambdas, seed: int) -> str:
  """`population.sweep` of every (learning rate, lambda) cell, row-major, one seed for all."""
  cells = list(itertools.product(learning_rates, lambdas))
  columns = {"optimizer.generator.learning_rate": [lr for lr, _ in cells],
             LEARNING_RATE: [lr for lr, _ in cells], LAMBDA: [lam for _, lam in cells],
             "seed": [seed] * len(cells)}
  return ";".join(f"{key}={','.join(f'{v:g}' for v in values)}"
                  for key, values in columns.items())


def get_config():
  c = settings.training_figure("lr_lambda_toy")
  c.local_source = ""  # 8 Gaussians, generated: no --data_path applies
  c.final_evals = 3
  c.quick.update(dict(num_steps=20, eval_every=10, sample_every=20, log_every=10))
  run = default.get_config()  # Adam(1e-4, 0.5, 0.9), lambda 0.1, 1,500 iterations
  learning_rates, lambdas = (3e-5, 1e-4, 3e-4, 1e-3), (0.01, 0.1, 1.0, 10.0)
  c.runs.grid = settings.scaled(run, {
      "log_every": 100, "eval.every": 100, "eval.num_samples": 1000,
      "population.size": len(learning_rates) * len(lambdas),
      # To change the grid: --config.runs.grid.population.sweep (and .size) as `grid_sweep`
      # writes it; the figure reads its axes back from the sweep.
      "population.sweep": grid_sweep(learning_rates, lambdas, run.seed)})
  c.lock()
  return c


def final_w1(series: tuple[np.ndarray, np.ndarray], count: int) -> float:
  """A cell's W1: the median of its last `count` evaluations (NaN if it logged none)."""
  return float(np.median(series[1][-count:])) if len(series[1]) else float("nan")


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """Final W1 of every (learning rate, lambda) cell as a heat map, the default cell marked."""
  start = time.time()
  record = train_or_load(fig, "grid", workdir, quick)
  sweep = parse_sweep(record.config.population.sweep)
  learning_rates, lambdas = sorted(set(sweep[LEARNING_RATE])), sorted(set(sweep[LAMBDA]))
  series = member_series(record.directory, "w1")
  last_step = max(len(s[0]) for s in series.values())
  w1 = np.full((len(learning_rates), len(lambdas)), np.nan)
  for member, (lr, lam) in enumerate(zip(sweep[LEARNING_RATE], sweep[LAMBDA])):
    if member in series and len(series[member][0]) == last_step:  # diverged cells stay NaN
      w1[learning_rates.index(lr), lambdas.index(lam)] = final_w1(series[member],
                                                                 fig.final_evals)
  figure, ax = subplots(figsize=(6, 4.8))
  image = ax.imshow(np.log10(w1), cmap="viridis_r", origin="lower")
  for (i, j), value in np.ndenumerate(w1):
    dark = np.isnan(value) or image.norm(np.log10(value)) > 0.5  # viridis_r: high W1 is dark
    ax.text(j, i, "diverged" if np.isnan(value) else f"{value:.3f}", ha="center",
            va="center", fontsize=8, color="w" if dark else "k")
  base = default.get_config()
  if base.optimizer.critic.learning_rate in learning_rates and base.constraint.weight in lambdas:
    column = lambdas.index(base.constraint.weight)
    row = learning_rates.index(base.optimizer.critic.learning_rate)
    ax.plot(column + np.array([-.5, .5, .5, -.5, -.5]), row + np.array([-.5, -.5, .5, .5, -.5]),
            color="r", lw=2)
  ax.set_xticks(range(len(lambdas)), [f"{v:g}" for v in lambdas])
  ax.set_yticks(range(len(learning_rates)), [f"{v:g}" for v in learning_rates])
  ax.set(xlabel="penalty weight lambda", ylabel="learning rate (generator and critic)")
  figure.colorbar(image, ax=ax, label="log10 W1 to the data")
  ax.set_title(f"Default job, 8 Gaussians, {record.config.num_steps} iterations: final W1 "
               f"(outlined: the default)", fontsize=9)
  data = figure_header(fig, quick, start)
  data.update({"run": os.path.basename(record.directory), "label": "grid",
               "learning_rates": learning_rates, "lambdas": lambdas,
               "final_w1": w1.tolist(), "final_evals": fig.final_evals,
               "w1": {str(m): s[1].tolist() for m, s in series.items()},
               "steps": max((s[0] for s in series.values()), key=len).tolist(),
               "train_sec": record.metrics[-1].get("train_sec") if record.metrics else None})
  return save_figure(out_dir, fig, quick, figure, data)

