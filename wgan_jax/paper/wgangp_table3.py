"""WGAN-GP Table 3: the CIFAR-10 ResNet, unsupervised and AC-GAN conditional.

Parameter counts at full size (DIM = 128), the step's measured rate at `timing_width`, and FID
of both trained at `trained_width` for `num_steps` iterations with the learning rates decayed to
0 over them (the paper: DIM 128, 100,000 iterations). The Inception score's weights are not
available offline, so the trained runs are scored with FID.
"""

from __future__ import annotations

import copy
import time

import numpy as np

from wgan_jax import benchmark, builder
from wgan_jax.configs import wgan_gp_cifar_resnet
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import figure_header, machine, new_figure, save_figure, show_grid
from wgan_jax.paper.provenance import note_run
from wgan_jax.paper.runs import (RunRecord, prepared_run, present_runs, real_fid, run_summary,
                                 train_or_load)
from wgan_jax.state import count_params

TITLES = {"unsupervised": "unsupervised", "acgan": "AC-GAN conditional"}


def get_config():
  c = settings.training_figure("wgangp_table3")
  c.timed_steps = 3  # generator iterations timed per run after compilation
  c.timing_width = 128  # DIM_G = DIM_D of the timed step: the paper's
  c.quick.timing_width = 8
  c.published_inception_score = dict(unsupervised=7.86, acgan=8.42)
  # The scaled runs trained and FID-scored here: the paper's step at DIM = `trained_width`,
  # `num_steps` iterations with the learning rates decayed to 0 over them (paper: 128, 100k).
  c.train_scaled = True  # False: only count the parameters and time the step
  c.trained_width = 32
  settings.use_fid_scoring(c, num_steps=1000, eval_every=250)
  for label, arg in (("unsupervised", ""), ("acgan", "acgan")):
    c.runs[label] = settings.scaled(wgan_gp_cifar_resnet.get_config(arg), {})  # as published
    c.runs[f"{label}_scaled"] = settings.scaled(wgan_gp_cifar_resnet.get_config(arg), {
        "model.generator.width": settings.follows(c, "trained_width"),
        "model.critic.width": settings.follows(c, "trained_width"),
        "optimizer.linear_decay_steps": settings.follows(c, "num_steps"),
        **settings.fid_scored(c)})
  c.lock()
  return c


def parameter_counts(config) -> tuple[int, int]:
  """Parameter counts of the generator and critic a config builds (no data read)."""
  state = builder.build(config, open_data=False).abstract_state()
  return count_params(state.generator_params), count_params(state.critic_params)


def _timed_row(fig, label: str, quick: bool) -> dict:
  """Parameter counts of run `label` as configured, and its step's rate at the timing width."""
  width = fig.quick.timing_width if quick else fig.timing_width
  config = prepared_run(fig, label, quick)
  note_run(fig, label)  # counted and timed here, not trained
  generator, critic = parameter_counts(config)
  timed_config = copy.deepcopy(config)
  timed_config.model.generator.width = timed_config.model.critic.width = width
  print(f"{fig.name}/{label}: compiling the step at DIM = {width}", flush=True)
  timed = benchmark.build_jax_step(timed_config, count_flops=not quick)
  steps = 1 if quick else fig.timed_steps
  print(f"{fig.name}/{label}: compiled and ran one iteration in {timed.compile_sec:.0f} s; "
        f"timing {steps} more", flush=True)
  rate = benchmark.time_rounds(timed.run, steps)
  return {"label": label, "generator_params": generator, "critic_params": critic,
          "batch_size": config.batch_size, "n_critic": config.n_critic,
          "num_steps": config.num_steps, "config_width": config.model.critic.width,
          "timed_width": width, "timed_num_classes": timed.num_classes,
          "compile_and_first_iteration_sec": timed.compile_sec,
          "flops_per_iteration": timed.flops_per_gen_iter, "gen_iters_per_sec": rate,
          "projected_hours": config.num_steps / rate / 3600,
          "published_inception_score": fig.published_inception_score[label]}


def _trained_summary(record: RunRecord, metric: str) -> dict:
  """A scaled run's quality curve and, for AC-GAN, how well its critic classifies real and fake:
  the logged training-batch accuracies averaged over the run's last quarter (one batch is noisy)."""
  rows = [m for m in record.metrics if metric in m]
  last_quarter = [m for m in record.metrics if m["step"] > 0.75 * record.config.num_steps]
  accuracies = {key: float(np.mean([m[key] for m in last_quarter if key in m]))
                for key in ("critic_acgan_accuracy", "generator_acgan_accuracy")
                if any(key in m for m in last_quarter)}
  return {**run_summary(record), "width": record.config.model.critic.width,
          "steps": [m["step"] for m in rows], "train_sec": [m["train_sec"] for m in rows],
          metric: [m[metric] for m in rows], "eval_samples": record.config.eval.num_samples,
          "eval_reference": record.config.eval.num_reference,
          "final_samples": max(record.samples) if record.samples else None, **accuracies}


def drawn_runs(fig, quick: bool = False) -> list[str]:
  """The configs counted and timed, then their scaled runs if trained."""
  labels = present_runs(fig, TITLES)
  scaled = [f"{label}_scaled" for label in labels if f"{label}_scaled" in fig.runs]
  return labels + (scaled if fig.train_scaled else [])


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """The ResNet configs' size and step speed, and FID of scaled-down runs.

  Parameter counts are of the configs as published (DIM = 128); the step is timed with both
  widths set to `fig.timing_width`, everything else unchanged. With `fig.train_scaled`, the
  `*_scaled` runs (DIM = `fig.trained_width`, `fig.num_steps` iterations) are trained and
  scored with FID.
  """
  start = time.time()
  rows = [_timed_row(fig, label, quick) for label in present_runs(fig, TITLES)]
  records = {}
  if fig.train_scaled:
    records = {label: train_or_load(fig, f"{label}_scaled", workdir, quick)
               for label in present_runs(fig, TITLES) if f"{label}_scaled" in fig.runs}
  trained = [_trained_summary(record, fig.quality_metric) | {"label": label}
             for label, record in records.items()]
  floor = None
  if fig.quality_metric == "fid" and records:  # the runs share data and evaluation sizes
    floor = real_fid(next(iter(records.values())))
  figure = new_figure(figsize=(12, 8.5 if trained else 1.8))
  outer = figure.add_gridspec(2 if trained else 1, 1, height_ratios=(1, 4) if trained else (1,),
                              hspace=0.15)
  _table(figure.add_subplot(outer[0]), rows, trained, fig.quality_metric)
  if trained:
    panels = outer[1].subgridspec(1, 1 + len(trained), wspace=0.15,
                                  width_ratios=(1.2,) + (1,) * len(trained))
    _curves(figure.add_subplot(panels[0, 0]), trained, fig.quality_metric, floor)
    for i, t in enumerate(trained):
      accuracy = (f"\nits critic names the class of {t['critic_acgan_accuracy']:.0%} of real "
                  f"and {t['generator_acgan_accuracy']:.0%} of fake images\n(one class per column)"
                  if "generator_acgan_accuracy" in t else "")
      show_grid(figure.add_subplot(panels[0, 1 + i]),
                records[t["label"]].samples.get(t["final_samples"]),
                f"{TITLES[t['label']]}, iteration {t['final_samples']}{accuracy}")
  data = figure_header(fig, quick, start)
  data.update(rows=rows, quality_metric=fig.quality_metric, fid_real_vs_real=floor,
              trained=trained)
  return save_figure(out_dir, fig, quick, figure, data)


def _table(ax, rows: list[dict], trained: list[dict], metric: str) -> None:
  """Sizes at the configs' width, speed at the timing width, scores here and published."""
  ax.axis("off")
  width = rows[0]["timed_width"]
  columns = ["CIFAR-10 ResNet", f"G params (DIM {rows[0]['config_width']})",
             f"D params (DIM {rows[0]['config_width']})", f"gen. it/s here (DIM {width})",
             f"{rows[0]['num_steps']:,} its here (DIM {width})", "published IS"]
  cells = [[TITLES[r["label"]], f"{r['generator_params'] / 1e6:.2f} M",
            f"{r['critic_params'] / 1e6:.2f} M", f"{r['gen_iters_per_sec']:.3g}",
            f"{r['projected_hours']:,.0f} h", f"{r['published_inception_score']}"] for r in rows]
  if trained:
    columns.append(f"{metric.upper()} here (DIM {trained[0]['width']}, "
                   f"{trained[0]['num_steps']:,} its)")
    scores = {t["label"]: t[metric] for t in trained}
    for row, r in zip(cells, rows):
      row.append(f"{scores[r['label']][-1]:.1f}" if scores.get(r["label"]) else "not trained")
  table = ax.table(cellText=cells, colLabels=columns, loc="center")
  table.auto_set_font_size(False)
  table.set_fontsize(8)
  table.auto_set_column_width(list(range(len(columns))))
  table.scale(1, 1.4)
  ax.set_title(f"measured on {machine()}", fontsize=8)


def _curves(ax, trained: list[dict], metric: str, floor: float | None) -> None:
  """The scaled runs' quality against iterations, with the held-out real images' FID."""
  for t in trained:
    ax.plot(t["steps"], t[metric], "o-", label=TITLES[t["label"]])
  if floor is not None:
    ax.axhline(floor, color="0.4", ls="--",
               label=f"{trained[0]['eval_samples']} held-out real images")
  ax.set_xlabel("generator iterations")
  ax.set_ylabel(f"{metric.upper()} ({trained[0]['eval_samples']} samples; lower is better)")
  ax.set_title(f"DIM = {trained[0]['width']}, learning rates decayed to 0 over "
               f"{trained[0]['num_steps']:,} iterations", fontsize=9)
  ax.legend(fontsize=8)
