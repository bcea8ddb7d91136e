"""What the WGAN-GP paper's architecture studies (Section 5: Fig. 2, Tables 1-2) share: many
architectures, one recipe per method, each run scored at the end by the shipped MNIST
classifier's Inception-like score.

A run whose loss or state turns non-finite is a result here, not an error: it counts as failed
(score 1, the least the score takes), its message is kept in `diverged.json` in its directory,
and it is not retrained. As in the paper, a run succeeds at a minimum score when its score is
above it (`succeeded`). `trained_only=True` draws a study in progress from the runs already
finished in `workdir`. Several processes may train one study side by side with the same
command: each claims a run before training it (`claimed`) and passes over runs another holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os

import ml_collections
import numpy as np

from wgan_jax.configs import architecture_studies
from wgan_jax.paper import settings
from wgan_jax.paper.provenance import note_run
from wgan_jax.paper.runs import (RunRecord, is_finished, last_samples, prepared_run,
                                 run_directory, run_summary, train_or_load)
from wgan_jax.train import NonFiniteLossError

SCORE = "mnist_inception_score"
SCORE_DESCRIPTION = "MNIST Inception-like score (exp E KL(p(y|x) || p(y)), 1 to 10)"
FAILED_SCORE = 1.0  # a diverged run: the score of samples that name no class
METHOD_TITLES = {"dcgan": "DCGAN", "lsgan": "LSGAN", "wgan": "WGAN (clipping)",
                 "wgan-gp": "WGAN-GP (ours)", "wgan-gp-one-sided": "WGAN-GP, one-sided",
                 "sngan": "SN-GAN (hinge)", "r1": "R1 (GAN loss)"}


def study_config(name: str) -> ml_collections.ConfigDict:
  """The figure-level keys both studies share."""
  c = settings.training_figure(name)
  c.num_steps = 400
  c.log_every = 10
  c.checkpoint_every = 100
  c.eval_samples = 1000  # samples behind each run's score
  c.thresholds = (1.0, 3.0, 5.0, 7.0, 9.0)  # the paper's minimum Inception scores
  c.batch_size = 64
  # `--quick` trains the first `quick.architectures` architectures that have runs under every
  # method: a smoke test of each recipe in minutes, not the whole study.
  c.quick.update(dict(eval_samples=50, architectures=1))
  # True: draw only the runs already finished in --workdir (a study in progress).
  c.trained_only = False
  return c


def architectures_drawn(fig: ml_collections.ConfigDict, names, quick: bool) -> list:
  """`names` (architectures in the figure's order), the first `fig.quick.architectures` of them
  under `--quick`."""
  names = list(names)
  return names[:fig.quick.architectures] if quick else names


def add_architecture_runs(c: ml_collections.ConfigDict, arch: str, methods) -> None:
  """Adds `ARCH-METHOD` runs: `architecture_studies` configs on MNIST at 32 px, scored at the
  end by the shipped classifier's Inception-like score."""
  for method in methods:
    run = architecture_studies.get_config(f"{arch},{method},mnist32")
    overrides = {"num_steps": settings.follows(c, "num_steps"),
                 "log_every": settings.follows(c, "log_every"),
                 "sample_every": settings.follows(c, "num_steps"),
                 "checkpoint_every": settings.follows(c, "checkpoint_every"),
                 "eval.metrics": ("mnist",), "eval.num_samples": settings.follows(c, "eval_samples"),
                 "batch_size": settings.follows(c, "batch_size")}
    if arch.startswith("random-"):  # the drawn filter counts, scaled
      drawn = architecture_studies.random_architecture(int(arch.split("-", 1)[1]))
      overrides["model.generator.width"] = (c.get_ref("filter_scale") * drawn.g_filters).to_int()
      overrides["model.critic.width"] = (c.get_ref("filter_scale") * drawn.d_filters).to_int()
    else:  # DIM of the convolutional networks; the MLP generator keeps its 512 units
      if run.model.generator.kind != "mlp":
        overrides["model.generator.width"] = settings.follows(c, "width")
      overrides["model.critic.width"] = settings.follows(c, "width")
    c.runs[f"{arch}-{method}"] = settings.scaled(run, overrides)


@contextlib.contextmanager
def claimed(directory: str):
  """Holds run `directory` for this process while it trains; yields False when another process
  holds it. The claim is an OS lock on `training.claim`, so it ends with its process however that
  ends, and the run resumes in the next process that claims it."""
  os.makedirs(directory, exist_ok=True)
  # The file stays: deleting a lock file lets two processes lock two different files.
  with open(os.path.join(directory, "training.claim"), "a") as claim:
    try:
      fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      yield False
      return
    try:
      yield True
    finally:
      fcntl.flock(claim, fcntl.LOCK_UN)


def train_or_mark_diverged(fig, label: str, workdir: str, quick: bool) -> dict | None:
  """Runs `label` like `train_or_load`; a run that turns non-finite is recorded as diverged.

  Returns `{"label", "record" (None if diverged), "score", "diverged" (message or None),
  "directory"}`; None for a run not yet trained that this process leaves out: with
  `fig.trained_only`, or while another process trains it.
  """
  config = prepared_run(fig, label, quick)
  directory = run_directory(workdir, label, config)
  marker = os.path.join(directory, "diverged.json")
  record = None
  if not (os.path.exists(marker) or is_finished(directory, config)):
    if fig.trained_only:
      print(f"{fig.name}/{label}: not trained yet, left out", flush=True)
      return None
    with claimed(directory) as mine:
      if not mine:
        print(f"{fig.name}/{label}: another process trains it, left out", flush=True)
        return None
      try:
        record = train_or_load(fig, label, workdir, quick)
      except NonFiniteLossError as error:
        with open(marker, "w") as f:
          json.dump({"message": str(error)}, f)
  if not os.path.exists(marker):
    record = record or train_or_load(fig, label, workdir, quick)
    return {"label": label, "record": record, "directory": directory,
            "score": record.final(SCORE)[SCORE], "diverged": None}
  note_run(fig, label, directory)
  with open(marker) as f:
    message = json.load(f)["message"]
  print(f"{fig.name}/{label}: diverged ({message.split(';')[0]})", flush=True)
  return {"label": label, "record": None, "directory": directory, "score": FAILED_SCORE,
          "diverged": message}


def outcome_summary(outcome: dict) -> dict:
  """What the figure's JSON says of one run's outcome."""
  record: RunRecord | None = outcome["record"]
  summary = {"label": outcome["label"], "run": os.path.basename(outcome["directory"]),
             "score": outcome["score"], "diverged": outcome["diverged"]}
  if record is not None:
    summary.update(run_summary(record))
    summary["final"] = record.final("mnist")
  return summary


def outcome_samples(outcome: dict) -> str | None:
  """The last sample grid of a run's outcome (None for a diverged run)."""
  return last_samples(outcome["record"])


def succeeded(scores, threshold: float) -> np.ndarray:
  """The paper's success at a minimum score: a score above it."""
  return np.asarray(scores) > threshold
