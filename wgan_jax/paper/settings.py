"""Building blocks of the figures' configs: the keys every figure has, and runs whose settings
follow the figure's own.

A figure made of training runs holds them as complete trainer configs (`runs.LABEL`), built
from the experiment configs in `wgan_jax.configs` and scaled down to what a CPU finishes: the
paper's settings (optimizers, n_critic, clipping, penalty, batch, architecture shape) are
kept, widths and iteration counts are not (docs/reproduction/). Figure-level keys
(`num_steps`, `eval_every`, ...) reach the runs as references (`follows`), so
`--config.num_steps=3000` lengthens every run and `--config.runs.clip.num_steps=3000` one.
"""

from __future__ import annotations

import ml_collections

# MNIST at 32 px, in place of the papers' LSUN bedrooms at 64 px.
MNIST32 = dict(source="tfds", name="mnist", image_size=32, channels=1, resize=True)


def training_figure(name: str) -> ml_collections.ConfigDict:
  """The keys of every figure made of training runs."""
  c = ml_collections.ConfigDict()
  c.name = name
  c.data_path = ""  # a local MNIST IDX directory / CIFAR-10 image folder instead of TFDS
  c.local_source = "mnist_idx"  # the data source `data_path` is read as
  # `--quick`: a smoke test of every run at a few iterations.
  c.quick = ml_collections.ConfigDict(dict(num_steps=40, sample_every=20, log_every=2,
                                           eval_every=20, eval_samples=100, reference=200))
  c.runs = ml_collections.ConfigDict()
  return c


def toy_figure(name: str) -> ml_collections.ConfigDict:
  """The keys of every low-dimensional figure: critics of `critic_depth` x `critic_width`
  trained for `steps` iterations (`quick_steps` under `--quick`) on batches of `batch_size`."""
  c = ml_collections.ConfigDict()
  c.name = name
  c.seed = 0
  c.batch_size = 256
  c.critic_width = 512
  c.critic_depth = 3
  c.steps = 2000
  c.quick_steps = 150
  return c


def follows(c: ml_collections.ConfigDict, key: str):
  """A run setting that follows figure setting `key` (so `--config.KEY=...` changes every run)
  until the run's own value is set (`--config.runs.NAME.KEY=...` changes that run only)."""
  return c.get_ref(key).identity()


def scaled(run: ml_collections.ConfigDict, overrides: dict) -> ml_collections.ConfigDict:
  """`run` with dotted-key overrides (`"model.critic.width": 32`), its data held on the device."""
  run.update_from_flattened_dict(overrides)
  run.data.device_resident = True
  return run


def use_fid_scoring(c: ml_collections.ConfigDict, num_steps: int, eval_every: int) -> None:
  """The figure-level keys of CIFAR-10 runs of `num_steps` iterations scored every `eval_every`."""
  c.local_source = "image_folder"
  c.num_steps, c.eval_every, c.checkpoint_every = num_steps, eval_every, 250
  c.quality_metric = "fid"  # the logged metric plotted ('kid' needs the same Inception weights)
  c.fid_samples = 500  # generated images per FID, against 1,000 training images
  # `--quick`: one FID at the end of 10 iterations, on 25 samples against 50 training images;
  # the Inception network takes about 5 s a batch of 25 images on a 2-core CPU.
  c.quick.update(dict(num_steps=10, sample_every=10, eval_every=10, eval_samples=25,
                      reference=50))


def fid_scored(c: ml_collections.ConfigDict) -> dict:
  """One run's settings that follow `use_fid_scoring`'s keys (new references per run, so that a
  run's own `--config.runs.NAME.KEY=...` changes that run only)."""
  return {"num_steps": follows(c, "num_steps"), "log_every": 25,
          "sample_every": follows(c, "eval_every"),
          "checkpoint_every": follows(c, "checkpoint_every"),
          "eval.every": follows(c, "eval_every"), "eval.metrics": (c.quality_metric,),
          "eval.num_samples": follows(c, "fid_samples"), "eval.num_reference": 1000}
