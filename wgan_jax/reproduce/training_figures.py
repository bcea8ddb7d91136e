"""The papers' figures and tables that need full training runs, made with the library's trainer.

Each `make_*` function takes a `configs/paper/training_figures.py` config, trains the runs it names
with `wgan_jax.train.train` (or reuses them: a run lives in `workdir/LABEL-HASH`, HASH being
that of its settings that differ from the library's defaults, so a finished run is read back,
an interrupted one resumes, and a later option left at its default renames nothing), then writes
`NAME.png` and `NAME.json` into `out_dir` and returns the JSON data. Fig. 5b trains its own
critic/generator loop because it measures the critic on held-out data between updates. The GAN
family's figures (`family_figures`) run on the same machinery.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import glob
import hashlib
import json
import os
import platform
import re
import time

import jax
import jax.numpy as jnp
import matplotlib
import ml_collections

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import scipy.ndimage  # noqa: E402
from tqdm import tqdm  # noqa: E402

from wgan_jax import benchmark, builder, rundir  # noqa: E402
from wgan_jax.config import base_config  # noqa: E402
from wgan_jax.data import pipeline, resident, shapes, sources  # noqa: E402
from wgan_jax.evaluation import Evaluator  # noqa: E402
from wgan_jax.reproduce.toy_figures import save_figure  # noqa: E402
from wgan_jax.objectives import wasserstein_critic_loss  # noqa: E402
from wgan_jax.state import count_params, critic_variables  # noqa: E402
from wgan_jax.step import generate, split_scores  # noqa: E402
from wgan_jax.train import train  # noqa: E402


@dataclasses.dataclass
class RunRecord:
  """A finished training run as the figures read it."""

  label: str
  config: object
  directory: str
  metrics: list[dict]  # one per logged step, in step order; 'train_sec' summed over resumptions
  samples: dict[int, str]  # generator iteration -> sample grid PNG

  def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
    rows = [m for m in self.metrics if key in m]
    return (np.array([m["step"] for m in rows]), np.array([m[key] for m in rows], np.float64))

  def final(self, prefix: str = "") -> dict[str, float]:
    last = self.metrics[-1] if self.metrics else {}
    return {k: v for k, v in last.items() if k.startswith(prefix)}


# ----------------------------------------------------------------------------- running


class RunInterrupted(RuntimeError):
  """A figure's training run stopped on a signal before its last step; no figure is drawn."""


def prepared_run(fig, label: str, quick: bool):
  """Run `label` of figure config `fig`, with local data and the quick overrides applied.

  The figure's own settings (`num_steps`, `eval_every`, ...) reach its runs as references, so a
  `--config.num_steps=...` changes every run; here they are resolved into plain values.
  """
  run = ml_collections.ConfigDict(fig.runs[label].to_dict())
  run.lock()
  if fig.data_path:
    run.data.source, run.data.path = fig.local_source, fig.data_path
  if quick:
    q = fig.quick
    run.num_steps = q.num_steps
    run.sample_every = run.checkpoint_every = q.sample_every
    run.log_every = q.log_every
    run.wgan_schedule = False
    if run.eval.every:
      run.eval.every = q.eval_every
    run.eval.num_samples = min(run.eval.num_samples, q.eval_samples)
    run.eval.num_reference = min(run.eval.num_reference, q.reference)
  return run


def run_directory(workdir: str, label: str, config) -> str:
  """`workdir/LABEL-HASH`, HASH identifying the settings that differ from `base_config()`, so
  that an option added to the library later, at its default, does not rename finished runs."""
  differing = {key: value for key, (_, value) in rundir.setting_differences(
      rundir.flat_settings(base_config()), rundir.flat_settings(config)).items()}
  digest = hashlib.sha1(json.dumps(differing, sort_keys=True).encode()).hexdigest()[:8]
  return os.path.join(workdir, f"{label}-{digest}")


def read_metrics(path: str) -> list[dict]:
  """metrics.jsonl in step order, the last line kept per step, training time summed over resumes."""
  by_step: dict[int, dict] = {}
  offset, previous_raw = 0.0, None
  if not os.path.exists(path):
    return []
  with open(path) as f:
    for line in f:
      record = json.loads(line)
      raw = record.get("train_sec")
      if raw is not None:
        if previous_raw is not None and raw < previous_raw:  # a resumed run restarts its clock
          earlier = [m for s, m in by_step.items() if s < record["step"]]
          offset = max((m["train_sec"] for m in earlier), default=0.0)
        previous_raw = raw
        record["train_sec"] = raw + offset
      by_step[record["step"]] = record
  return [by_step[s] for s in sorted(by_step)]


def is_finished(directory: str, config) -> bool:
  """Whether the run in `directory` has its last checkpoint and logged its last step."""
  metrics_path = os.path.join(directory, "metrics.jsonl")
  return (os.path.isdir(os.path.join(directory, "checkpoints", str(config.num_steps))) and
          any(m["step"] == config.num_steps for m in read_metrics(metrics_path)))


def train_or_load(fig, label: str, workdir: str, quick: bool) -> RunRecord:
  """Trains run `label` to its last step (resuming if interrupted) and reads back its logs."""
  config = prepared_run(fig, label, quick)
  directory = run_directory(workdir, label, config)
  metrics_path = os.path.join(directory, "metrics.jsonl")
  finished = is_finished(directory, config)
  print(f"{fig.name}/{label}: {'reusing ' if finished else ''}{directory}", flush=True)
  if not finished:
    try:
      result = train(config, directory)
    finally:
      # Each run compiles its own programs, and XLA maps every one into memory; a study of many
      # runs in one process would otherwise exhaust the kernel's map limit (vm.max_map_count).
      jax.clear_caches()
      gc.collect()
    if result["step"] < config.num_steps:  # a stop signal: the figure would show a partial run
      raise RunInterrupted(
          f"{fig.name}/{label} stopped at step {result['step']} of {config.num_steps} "
          f"({result['stopped_by'] or 'a stop signal to another process'}); its checkpoint is "
          f"saved, and running the same command again resumes it.")
  samples = {int(re.findall(r"(\d+)\.(?:png|txt)$", p)[0]): p  # image grids or text
             for p in glob.glob(os.path.join(directory, "samples", "samples_*.*"))}
  return RunRecord(label, config, directory, read_metrics(metrics_path), samples)


def _machine() -> str:
  device = jax.devices()[0]
  return f"{device.platform} ({device.device_kind}), {os.cpu_count()} cores, {platform.machine()}"


def figure_header(fig, quick: bool, start: float) -> dict:
  return {"name": fig.name, "quick": quick, "machine": _machine(), "jax": jax.__version__,
          "seconds": round(time.time() - start, 1)}


def run_summary(record: RunRecord) -> dict:
  c = record.config
  return {"label": record.label,
          "run": os.path.basename(record.directory),  # its directory under --workdir
          "objective": c.objective,
          "constraint": c.constraint.kind, "generator": c.model.generator.to_dict(),
          "critic": c.model.critic.to_dict(), "optimizer": c.optimizer.critic.to_dict(),
          "n_critic": c.n_critic, "wgan_schedule": c.wgan_schedule, "batch_size": c.batch_size,
          "num_steps": c.num_steps,
          "train_sec": record.metrics[-1].get("train_sec") if record.metrics else None}


def show_grid(ax, path: str | None, title: str) -> None:
  if path:
    ax.imshow(mpimg.imread(path), cmap="gray", interpolation="nearest")
  ax.set_title(title, fontsize=8)
  ax.set_xticks([])
  ax.set_yticks([])


def present_runs(fig, labels) -> list[str]:
  """`labels` in the figure's order, less any run the config leaves out (the tests keep few)."""
  return [label for label in labels if label in fig.runs]


def sample_stages(record: RunRecord, wanted) -> list[int]:
  """The sample stages to show: the configured ones if the run has them, else up to four."""
  have = sorted(record.samples)
  chosen = [s for s in wanted if s in record.samples]
  if len(chosen) == len(wanted):
    return chosen
  return have[:: max(1, len(have) // 4)][-4:] if have else []


def _real_fid(record: RunRecord) -> float | None:
  """The FID held-out real images get against the run's reference set: its logged value, or
  computed here (from the cached features) for runs made before the trainer logged it."""
  logged = [m["fid_real_vs_real"] for m in record.metrics if "fid_real_vs_real" in m]
  if logged:
    return logged[-1]
  config = record.config
  source = sources.make_source(config.data, config.seed)
  return Evaluator(config.eval, config.data, source, shapes.declared_example_shape(config.data),
                   config.seed).real_fid()


# ----------------------------------------------------------------------------- WGAN Figs. 3-7

ARCH_TITLES = {"mlp_g": "MLP generator, DCGAN critic", "dcgan": "DCGAN generator and critic",
               "mlp": "MLP generator and critic",
               "dcgan_nobn": "DCGAN generator without BatchNorm, same filters at every layer"}


def _median(values: np.ndarray, size: int) -> np.ndarray:
  return scipy.ndimage.median_filter(values, size=min(size, len(values)) or 1, mode="nearest")


def _loss_curve_figure(fig, records: list[RunRecord], key: str, ylabel: str, quick: bool,
                       out_dir: str, start: float) -> dict:
  """One column per run: the median-filtered estimate over iterations, samples at stages below."""
  figure = plt.figure(figsize=(5 * len(records), 6.4))
  outer = figure.add_gridspec(2, len(records), height_ratios=(2.2, 1), hspace=0.25)
  data = figure_header(fig, quick, start)
  data.update(estimate=key, median_filter=fig.median_filter, runs=[])
  for column, record in enumerate(records):
    steps, values = record.series(key)
    filtered = _median(values, fig.median_filter)
    stages = sample_stages(record, fig.sample_stages)
    ax = figure.add_subplot(outer[0, column])
    ax.plot(steps, values, color="0.8", lw=0.6, label="logged")
    ax.plot(steps, filtered, color="C0" if key == "wasserstein_estimate" else "C3", lw=1.5,
            label=f"median filter ({fig.median_filter})")
    for stage in stages:
      ax.axvline(stage, color="0.5", ls=":", lw=0.8)
    arch = record.label.split("_", 1)[1]
    ax.set_title(f"{ARCH_TITLES[arch]}, learning rate "
                 f"{record.config.optimizer.critic.learning_rate:g}", fontsize=10)
    if len(filtered) > 20:  # scale to the filtered curve past its first 5%, not to single spikes
      low, high = np.min(filtered[len(filtered) // 20:]), np.max(filtered[len(filtered) // 20:])
      margin = 0.15 * max(high - low, 1e-3)
      ax.set_ylim(low - margin, high + margin)
    ax.set_xlabel("generator iterations")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    inner = outer[1, column].subgridspec(1, max(len(stages), 1), wspace=0.05)
    for i, stage in enumerate(stages):
      show_grid(figure.add_subplot(inner[0, i]), record.samples[stage], f"iteration {stage}")
    data["runs"].append({**run_summary(record), "steps": steps.tolist(),
                         key: values.tolist(), f"{key}_filtered": filtered.tolist(),
                         "sample_stages": stages, "final_scores": record.final("mnist_")})
  save_figure(out_dir, fig.name, figure, data)
  return data


def make_wgan_fig3(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """WGAN Fig. 3: -critic loss (the EM estimate) tracks sample quality in three settings."""
  start = time.time()
  records = [train_or_load(fig, label, workdir, quick)
             for label in present_runs(fig, ("wgan_mlp_g", "wgan_dcgan", "wgan_mlp"))]
  return _loss_curve_figure(fig, records, "wasserstein_estimate",
                            "Wasserstein estimate (-critic loss)", quick, out_dir, start)


def make_wgan_fig4(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """WGAN Fig. 4: the standard GAN's JS estimate (log 2 - D loss) in the same settings."""
  start = time.time()
  records = [train_or_load(fig, label, workdir, quick)
             for label in present_runs(fig, ("gan_mlp_g", "gan_dcgan", "gan_mlp"))]
  return _loss_curve_figure(fig, records, "js_estimate", "JS estimate (log 2 - D loss)", quick,
                            out_dir, start)


def make_wgan_samples(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """WGAN Figs. 5-7: the last samples of WGAN (left) and the standard GAN (right), one generator."""
  start = time.time()
  (arch,) = {label.split("_", 1)[1] for label in fig.runs}
  records = [train_or_load(fig, f"{kind}_{arch}", workdir, quick) for kind in ("wgan", "gan")]
  figure, axes = plt.subplots(1, 2, figsize=(9, 5))
  data = figure_header(fig, quick, start)
  data["runs"] = []
  for ax, record, name in zip(axes, records, ("WGAN (weight clipping)", "standard GAN")):
    last = max(record.samples) if record.samples else None
    scores = record.final("mnist_")
    text = ", ".join(f"{k[6:]} {v:.3g}" for k, v in sorted(scores.items()))
    show_grid(ax, record.samples.get(last), f"{name}, iteration {last}\n{text}")
    data["runs"].append({**run_summary(record), "final_scores": scores, "final_samples": last})
  figure.suptitle(ARCH_TITLES[arch], fontsize=11)
  save_figure(out_dir, fig.name, figure, data)
  return data


# ----------------------------------------------------------------------------- WGAN-GP Fig. 3

GP_FIG3_TITLES = {"clip": "weight clipping (RMSProp)", "penalty_rmsprop": "gradient penalty (RMSProp)",
                  "penalty_adam": "gradient penalty (Adam)", "dcgan": "DCGAN"}


def make_wgangp_fig3(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """WGAN-GP Fig. 3: FID against generator iterations and against training wall-clock."""
  start = time.time()
  records = [train_or_load(fig, mode, workdir, quick) for mode in present_runs(fig, GP_FIG3_TITLES)]
  figure = plt.figure(figsize=(12, 7.5))
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
    title = GP_FIG3_TITLES[record.label]
    by_iteration.plot(steps, fids, "o-", label=title)
    by_time.plot(seconds, fids, "o-", label=title)
    last = max(record.samples) if record.samples else None
    show_grid(figure.add_subplot(bottom[0, i]), record.samples.get(last),
               f"{title}\niteration {last}, {metric} {fids[-1]:.4g}" if fids else title)
    data["runs"].append({**run_summary(record), "steps": steps, "train_sec": seconds,
                         fig.quality_metric: fids, "eval_samples": record.config.eval.num_samples,
                         "eval_reference": record.config.eval.num_reference})
  floor = _real_fid(records[0]) if fig.quality_metric == "fid" and records else None
  data["fid_real_vs_real"] = floor
  for ax, xlabel in ((by_iteration, "generator iterations"),
                     (by_time, "training wall-clock (s, this machine)")):
    if floor is not None:  # every run has the same data and evaluation sizes
      ax.axhline(floor, color="0.4", ls="--",
                 label=f"{records[0].config.eval.num_samples} held-out real images")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{metric} ({records[0].config.eval.num_samples} samples; lower is better)")
    ax.legend(fontsize=8)
  save_figure(out_dir, fig.name, figure, data)
  return data


# ----------------------------------------------------------------------------- WGAN-GP Fig. 5b


def _real_subset(config, split: str, count: int, seed: int) -> dict[str, np.ndarray]:
  """`count` examples of `split` (`{'x'}`, plus `'label'` for conditional configs), scaled."""
  arrays = pipeline.load_split(config.data, split, seed)
  order = np.sort(np.random.default_rng(seed).permutation(len(arrays["x"]))[:count])
  return {name: values[order] for name, values in arrays.items()}


def _overfitting_curves(fig, label: str, quick: bool) -> dict:
  """Trains on `train_examples` digits, measuring the negative critic loss on them and held out."""
  config = prepared_run(fig, label, quick)
  experiment = builder.build(config)
  generator, critic, constraint = experiment.generator, experiment.critic, experiment.constraint
  dataset = jax.tree_util.tree_map(
      jnp.asarray, _real_subset(config, "train", fig.train_examples, config.seed))
  validation = _real_subset(config, "test", fig.validation_examples, config.seed + 1)
  advance = jax.jit(resident.resident_step(experiment.train_step, config.n_critic,
                                           config.batch_size), donate_argnums=0)

  @jax.jit
  def negative_critic_loss(state, real, key):
    """E f(real) - E f(fake) - penalty, the critic's objective as its training logs it."""
    x, labels = real["x"], real.get("label")
    z_key, a_key = jax.random.split(key)
    z = experiment.latent.sample(z_key, x.shape[0])
    fake = generate(generator, state, z, labels, batch_statistics=True)  # as the step makes them
    score = lambda x: split_scores(critic.apply(critic_variables(state), x,  # noqa: E731
                                                train=False))[0]
    alpha = jax.random.uniform(a_key, (x.shape[0],))
    penalty, _ = constraint.penalty(score, x, fake, alpha)
    return -(wasserstein_critic_loss(score(x), score(fake)) + penalty)

  state = experiment.init_state()
  measure_batch = min(fig.measure_batch, len(dataset["x"]), len(validation["x"]))
  # On the device once, not copied every measurement.
  measured = {"train": jax.tree_util.tree_map(lambda a: a[:measure_batch], dataset),
              "validation": jax.tree_util.tree_map(lambda a: jnp.asarray(a[:measure_batch]),
                                                   validation)}
  every = fig.quick.log_every if quick else fig.measure_every
  curve = {"steps": [], "train": [], "validation": []}
  started = time.time()
  for i in tqdm(range(1, config.num_steps + 1), desc=f"fig5b/{label}", unit="it"):
    state, _ = advance(state, dataset)
    if i % every == 0 or i == config.num_steps:
      key = jax.random.PRNGKey(i)  # the same fakes for both sets
      curve["steps"].append(i)
      for name, real in measured.items():  # on the device once, not copied every measurement
        curve[name].append(float(negative_critic_loss(state, real, key)))
  return {"label": label, "constraint": config.constraint.kind,
          "optimizer": config.optimizer.critic.to_dict(), "critic": config.model.critic.to_dict(),
          "num_steps": config.num_steps, "train_sec": time.time() - started, **curve}


def make_wgangp_fig5b(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """WGAN-GP Fig. 5b: on 1,000 digits the critic overfits: train and validation losses part."""
  del workdir  # the runs are short and measured as they go, so nothing is kept
  start = time.time()
  curves = [_overfitting_curves(fig, label, quick) for label in present_runs(fig, ("penalty", "clip"))]
  figure, axes = plt.subplots(1, len(curves), figsize=(5.5 * len(curves), 4), squeeze=False)
  for ax, curve in zip(axes[0], curves):
    ax.plot(curve["steps"], curve["train"], label="training set")
    ax.plot(curve["steps"], curve["validation"], label="validation set")
    ax.set_title("gradient penalty" if curve["label"] == "penalty" else "weight clipping")
    ax.set_xlabel("generator iterations")
    ax.set_ylabel("negative critic loss")
    ax.legend()
  data = figure_header(fig, quick, start)
  data.update(train_examples=fig.train_examples, validation_examples=fig.validation_examples,
              curves=curves)
  save_figure(out_dir, fig.name, figure, data)
  return data


# ----------------------------------------------------------------------------- WGAN-GP Table 3


TABLE3_TITLES = {"unsupervised": "unsupervised", "acgan": "AC-GAN conditional"}


def _timed_row(fig, label: str, quick: bool) -> dict:
  """Parameter counts of run `label` as configured, and its step's rate at the timing width."""
  width = fig.quick.timing_width if quick else fig.timing_width
  config = prepared_run(fig, label, quick)
  generator, critic = build_run_shapes(config)
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


def make_wgangp_table3(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """WGAN-GP Table 3: the ResNet configs' size and step speed, and FID of scaled-down runs.

  Parameter counts are of the configs as published (DIM = 128); the step is timed with both
  widths set to `fig.timing_width`, everything else unchanged. With `fig.train_scaled`, the
  `*_scaled` runs (DIM = `fig.trained_width`, `fig.num_steps` iterations) are trained here and
  scored with FID, since the Inception score's weights are not available offline.
  """
  start = time.time()
  rows = [_timed_row(fig, label, quick) for label in present_runs(fig, TABLE3_TITLES)]
  records = {}
  if fig.train_scaled:
    records = {label: train_or_load(fig, f"{label}_scaled", workdir, quick)
               for label in present_runs(fig, TABLE3_TITLES) if f"{label}_scaled" in fig.runs}
  trained = [_trained_summary(record, fig.quality_metric) | {"label": label}
             for label, record in records.items()]
  floor = None
  if fig.quality_metric == "fid" and records:  # the runs share data and evaluation sizes
    floor = _real_fid(next(iter(records.values())))
  figure = plt.figure(figsize=(12, 8.5 if trained else 1.8))
  outer = figure.add_gridspec(2 if trained else 1, 1, height_ratios=(1, 4) if trained else (1,),
                              hspace=0.15)
  _table3_table(figure.add_subplot(outer[0]), rows, trained, fig.quality_metric)
  if trained:
    panels = outer[1].subgridspec(1, 1 + len(trained), wspace=0.15,
                                  width_ratios=(1.2,) + (1,) * len(trained))
    _table3_curves(figure.add_subplot(panels[0, 0]), trained, fig.quality_metric, floor)
    for i, t in enumerate(trained):
      accuracy = (f"\nits critic names the class of {t['critic_acgan_accuracy']:.0%} of real "
                  f"and {t['generator_acgan_accuracy']:.0%} of fake images\n(one class per column)"
                  if "generator_acgan_accuracy" in t else "")
      show_grid(figure.add_subplot(panels[0, 1 + i]),
                 records[t["label"]].samples.get(t["final_samples"]),
                 f"{TABLE3_TITLES[t['label']]}, iteration {t['final_samples']}{accuracy}")
  data = figure_header(fig, quick, start)
  data.update(rows=rows, quality_metric=fig.quality_metric, fid_real_vs_real=floor,
              trained=trained)
  save_figure(out_dir, fig.name, figure, data)
  return data


def _table3_table(ax, rows: list[dict], trained: list[dict], metric: str) -> None:
  """Sizes at the configs' width, speed at the timing width, scores here and published."""
  ax.axis("off")
  width = rows[0]["timed_width"]
  columns = ["CIFAR-10 ResNet", f"G params (DIM {rows[0]['config_width']})",
             f"D params (DIM {rows[0]['config_width']})", f"gen. it/s here (DIM {width})",
             f"{rows[0]['num_steps']:,} its here (DIM {width})", "published IS"]
  cells = [[TABLE3_TITLES[r["label"]], f"{r['generator_params'] / 1e6:.2f} M",
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
  ax.set_title(f"measured on {_machine()}", fontsize=8)


def _table3_curves(ax, trained: list[dict], metric: str, floor: float | None) -> None:
  """The scaled runs' quality against iterations, with the held-out real images' FID."""
  for t in trained:
    ax.plot(t["steps"], t[metric], "o-", label=TABLE3_TITLES[t["label"]])
  if floor is not None:
    ax.axhline(floor, color="0.4", ls="--",
               label=f"{trained[0]['eval_samples']} held-out real images")
  ax.set_xlabel("generator iterations")
  ax.set_ylabel(f"{metric.upper()} ({trained[0]['eval_samples']} samples; lower is better)")
  ax.set_title(f"DIM = {trained[0]['width']}, learning rates decayed to 0 over "
               f"{trained[0]['num_steps']:,} iterations", fontsize=9)
  ax.legend(fontsize=8)


def build_run_shapes(config) -> tuple[int, int]:
  """Parameter counts of the generator and critic a config builds (no data read)."""
  state = builder.build(config, open_data=False).abstract_state()
  return count_params(state.generator_params), count_params(state.critic_params)


# ----------------------------------------------------------------------------- WGAN-GP language


LANGUAGE_TITLES = {"wgan-gp": "WGAN-GP", "gan": "standard GAN (same generator)"}


def make_wgangp_language(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """WGAN-GP Section 5.5: n-gram Jensen-Shannon divergences against iterations, and samples."""
  start = time.time()
  records = [train_or_load(fig, mode, workdir, quick) for mode in present_runs(fig, LANGUAGE_TITLES)]
  figure = plt.figure(figsize=(13, 8))
  outer = figure.add_gridspec(2, 1, height_ratios=(1, 1.1), hspace=0.3)
  curves = outer[0].subgridspec(1, 4, wspace=0.3)
  texts = outer[1].subgridspec(1, max(1, len(records)), wspace=0.05)
  data = figure_header(fig, quick, start)
  data["runs"] = []
  floors = {}
  for n in (1, 2, 3, 4):
    ax = figure.add_subplot(curves[0, n - 1])
    for record in records:
      steps, values = record.series(f"ngram_js{n}")
      ax.plot(steps, values, "o-", ms=3, label=LANGUAGE_TITLES[record.label])
      _, floor = record.series(f"ngram_js{n}_real_vs_real")
      if len(floor):
        floors[n] = float(floor[-1])
    if n in floors:
      ax.axhline(floors[n], color="0.4", ls="--", label="held-out real text")
    ax.set_title(f"{n}-grams")
    ax.set_xlabel("generator iterations")
    ax.set_ylabel("Jensen-Shannon divergence (bits)" if n == 1 else "")
    ax.set_ylim(0, 1.02)
    if n == 1:
      ax.legend(fontsize=7)
  for i, record in enumerate(records):
    last = max(record.samples) if record.samples else None
    lines = []
    if last is not None:
      with open(record.samples[last], encoding="utf-8") as f:
        lines = f.read().splitlines()[: fig.sample_lines]
    ax = figure.add_subplot(texts[0, i])
    ax.axis("off")
    ax.set_title(f"{LANGUAGE_TITLES[record.label]}, iteration {last}", fontsize=9)
    ax.text(0.0, 1.0, "\n".join(lines), family="monospace", fontsize=8, va="top",
            transform=ax.transAxes)
    summary = run_summary(record)
    final = record.final("ngram_js")
    data["runs"].append({**summary, "eval_samples": record.config.eval.num_samples,
                         "final": final, "samples": lines,
                         "curves": {n: dict(zip(("steps", "values"), (
                             a.tolist() for a in record.series(f"ngram_js{n}"))))
                                    for n in (1, 2, 3, 4)}})
  data["floors"] = floors
  save_figure(out_dir, fig.name, figure, data)
  return data


FIGURES = {
    "wgan_fig3": make_wgan_fig3,
    "wgan_fig4": make_wgan_fig4,
    "wgan_fig5": make_wgan_samples,
    "wgan_fig6": make_wgan_samples,
    "wgan_fig7": make_wgan_samples,
    "wgangp_fig3": make_wgangp_fig3,
    "wgangp_fig5b": make_wgangp_fig5b,
    "wgangp_table3": make_wgangp_table3,
    "wgangp_language": make_wgangp_language,
}
