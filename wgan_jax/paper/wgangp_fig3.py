"""WGAN-GP Fig. 3: FID against generator iterations and against training wall-clock on
CIFAR-10 for weight clipping, the penalty with RMSProp, the penalty with Adam and DCGAN.

The four runs are `wgan_gp_cifar.py`'s modes at DIM = 32.
"""

from __future__ import annotations

import time

from wgan_jax.configs import wgan_gp_cifar
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import figure_header, new_figure, save_figure, show_grid
from wgan_jax.paper.runs import present_runs, real_fid, run_summary, train_or_load

TITLES = {"clip": "weight clipping (RMSProp)", "penalty_rmsprop": "gradient penalty (RMSProp)",
          "penalty_adam": "gradient penalty (Adam)", "dcgan": "DCGAN"}
# Each run's label (the name of its directory) and the `wgan_gp_cifar` method it trains.
METHODS = {"clip": "wgan", "penalty_rmsprop": "wgan-gp-rmsprop", "penalty_adam": "wgan-gp",
           "dcgan": "dcgan"}


def get_config():
  c = settings.training_figure("wgangp_fig3")
  settings.use_fid_scoring(c, num_steps=3000, eval_every=500)
  for label, method in METHODS.items():
    c.runs[label] = settings.scaled(wgan_gp_cifar.get_config(method), {
        "model.generator.width": 32, "model.critic.width": 32, **settings.fid_scored(c)})
  c.lock()
  return c


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """FID against generator iterations and against training wall-clock."""
  start = time.time()
  records = [train_or_load(fig, mode, workdir, quick) for mode in present_runs(fig, TITLES)]
  figure = new_figure(figsize=(12, 7.5))
  outer = figure.add_gridspec(2, 1, height_ratios=(1.4, 1), hspace=0.3)
  top = outer[0].subgridspec(1, 2, wspace=0.25)
  by_iteration, by_time = figure.add_subplot(top[0, 0]), figure.add_subplot(top[0, 1])
  bottom = outer[1].subgridspec(1, len(records), wspace=0.05)
  data = figure_header(fig, quick, start)
  data.update(quality_metric=fig.quality_metric, runs=[])
  metric = fig.quality_metric.upper() if fig.quality_metric in ("fid", "kid") else fig.quality_metric
  for i, record in enumerate(records):
    rows = [m for m in record.metrics if fig.quality_metric in m]
    steps = [m["step"] for m in rows]
    seconds = [m["train_sec"] for m in rows]
    fids = [m[fig.quality_metric] for m in rows]
    title = TITLES[record.label]
    by_iteration.plot(steps, fids, "o-", label=title)
    by_time.plot(seconds, fids, "o-", label=title)
    last = max(record.samples) if record.samples else None
    show_grid(figure.add_subplot(bottom[0, i]), record.samples.get(last),
              f"{title}\niteration {last}, {metric} {fids[-1]:.4g}" if fids else title)
    data["runs"].append({**run_summary(record), "steps": steps, "train_sec": seconds,
                         fig.quality_metric: fids, "eval_samples": record.config.eval.num_samples,
                         "eval_reference": record.config.eval.num_reference})
  floor = real_fid(records[0]) if fig.quality_metric == "fid" and records else None
  data["fid_real_vs_real"] = floor
  for ax, xlabel in ((by_iteration, "generator iterations"),
                     (by_time, "training wall-clock (s, this machine)")):
    if floor is not None:  # every run has the same data and evaluation sizes
      ax.axhline(floor, color="0.4", ls="--",
                 label=f"{records[0].config.eval.num_samples} held-out real images")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{metric} ({records[0].config.eval.num_samples} samples; lower is better)")
    ax.legend(fontsize=8)
  return save_figure(out_dir, fig, quick, figure, data)
