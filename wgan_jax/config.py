"""The defaults every experiment config starts from, and the recipes the papers share.

Every experiment in `wgan_jax.configs` starts from `base_config()` and changes what its paper
changes. The returned `ConfigDict` is locked, so a misspelt `--config.KEY=VALUE` fails at once
with the name of the bad key. What a config means (its parts, and which values are valid) is
the builder's: `builder.check_config`, `builder.build`.
"""

from __future__ import annotations

from typing import Any

import ml_collections

from wgan_jax.errors import ConfigError  # noqa: F401 -- where configs have always found it


def adam(learning_rate: float = 1e-4, b1: float = 0.5, b2: float = 0.9) -> dict[str, Any]:
  return dict(name="adam", learning_rate=learning_rate, b1=b1, b2=b2)


def rmsprop(learning_rate: float = 5e-5) -> dict[str, Any]:
  """PyTorch's RMSprop, as in the WGAN paper's official code."""
  return dict(name="rmsprop", learning_rate=learning_rate, decay=0.99, eps=1e-8,
              eps_in_sqrt=False)


def tf1_rmsprop(learning_rate: float = 5e-5) -> dict[str, Any]:
  """TensorFlow 1's `RMSPropOptimizer` (decay 0.9, eps 1e-10 inside the square root,
  accumulator starting at 1), as in the WGAN-GP paper's official code."""
  return dict(name="rmsprop", learning_rate=learning_rate, decay=0.9, eps=1e-10,
              eps_in_sqrt=True, initial_scale=1.0)


def use_weight_clipping(c: ml_collections.ConfigDict, learning_rate: float = 5e-5,
                        clip_value: float = 0.01, optimizer=rmsprop) -> None:
  """The WGAN recipe: clip critic weights to [-c, c], RMSProp for both networks.

  `optimizer` builds the RMSProp config: `rmsprop` (PyTorch's, the WGAN paper's code) or
  `tf1_rmsprop` (the WGAN-GP paper's code).
  """
  c.constraint.kind = "clip"
  c.constraint.clip_value = clip_value
  c.optimizer.generator = optimizer(learning_rate)
  c.optimizer.critic = optimizer(learning_rate)


def use_standard_gan(c: ml_collections.ConfigDict) -> None:
  """The DCGAN baseline: non-saturating GAN loss, no constraint, one D update, Adam(2e-4, 0.5)."""
  c.objective = "gan"
  c.constraint.kind = "none"
  c.n_critic = 1
  c.optimizer.generator = adam(2e-4, 0.5, 0.999)
  c.optimizer.critic = adam(2e-4, 0.5, 0.999)


def base_config() -> ml_collections.ConfigDict:
  """Defaults shared by every experiment (WGAN-GP on 8 Gaussians unless overridden)."""
  c = ml_collections.ConfigDict()
  c.seed = 0
  c.data = data_defaults()
  c.model = model_defaults()
  c.objective = "wasserstein"  # wasserstein | gan | minimax | lsgan | hinge | catgan | supervised
  c.constraint = ml_collections.ConfigDict(dict(
      kind="penalty",  # penalty | clip | r1 | r2 | spectral | none
      weight=10.0, one_sided=False,  # penalty (weight: lambda); r1, r2 (weight: gamma)
      clip_value=0.01,  # clip
      every=1,  # r1, r2: taken on every k-th critic update only, times k (lazy regularization)
  ))
  c.optimizer = ml_collections.ConfigDict(dict(
      generator=adam(), critic=adam(),
      linear_decay_steps=0,  # > 0: decay both learning rates linearly to 0 over this many steps
  ))

  c.batch_size = 256  # global critic batch
  c.n_critic = 5
  c.wgan_schedule = False  # the WGAN paper's critic schedule (wgan_jax.schedule)
  c.generator_batch_multiple = 1
  c.acgan_scale = 1.0  # weight of a critic classifier head's loss on labelled real data
  c.acgan_scale_generator = 0.1
  c.feature_matching = False  # the generator matches the critic's mean features on real data
  # InfoGAN: the weight of the mutual-information term in both losses, and within it the weight
  # of the continuous codes' Gaussian log-likelihood.
  c.info_scale = 1.0
  c.info_continuous_weight = 1.0
  # DiffAugment: the transforms both networks see images through, e.g. "color,translation,cutout"
  # ("": none; images only).
  c.augment = ""
  # A moving average of the generator (decay > 0; e.g. 0.999), following it exactly until
  # generator iteration `start`; samples and evaluation then use the average.
  c.ema = ml_collections.ConfigDict(dict(decay=0.0, start=0))
  c.num_steps = 100_000  # generator iterations

  c.log_every = 100
  c.sample_every = 1000
  c.checkpoint_every = 1000
  c.keep_checkpoints = 3
  c.num_sample_images = 64  # images in a sample grid (toy: 1000 points)
  c.eval = eval_defaults()
  c.donate_state = True
  # How the step runs over several devices: 'pmap' (one state copy per local device),
  # 'shard_map' (jit over a mesh of every host's devices; the form that compiles ahead of time,
  # `python -m wgan_jax.preflight`), or 'auto': shard_map on TPU, pmap elsewhere.
  c.parallelism = "auto"
  # N runs of this config trained as one program (`wgan_jax.population`; 0: one ordinary run).
  # `sweep` names what members differ in, "KEY=V1,V2,...;KEY=...", each list N long (or, with
  # `grid`, crossed to N members); members it leaves a seed to train at `seed + i`. Streamed
  # (not device-resident), each member reads the pipeline its own run would, or with
  # `shared_batches` all read one (one host pipeline for any N; members then see the same data).
  c.population = ml_collections.ConfigDict(dict(size=0, sweep="", grid=False,
                                                shared_batches=False))
  return c


def data_defaults() -> ml_collections.ConfigDict:
  """`config.data`: where the examples come from and how they are read."""
  return ml_collections.ConfigDict(dict(
      source="toy",  # toy | tfds | mnist_idx | image_folder | npz | text
      name="8gaussians",  # toy set or TFDS name
      path="",  # for mnist_idx, image_folder, npz
      split="train",
      tfds_data_dir="",
      download=False,  # TFDS: download and prepare if missing
      image_size=0,  # 0: keep the source's size
      channels=0,  # 0: keep the source's channels
      convert_channels=False,  # image folders: convert every image to `channels` (else refuse)
      resize=False,  # resize the short side and centre-crop to image_size
      dequantize=False,  # WGAN-GP ResNet: x / 128 - 1 + U[0, 1/128)
      use_labels=False,  # feed labels (conditional models)
      num_classes=0,  # npz: the class count; 0: labels 0..K-1 with every class present
      float_pixels="-1..1",  # npz: the range float pixels are stored in, '-1..1' or '0..1'
      # > 0: semi-supervised data: only this many labels per class are kept (the rest read -1),
      # and about half of each batch is drawn from those labelled examples
      # (`sources.labelled_subset`).
      labelled_per_class=0,
      shuffle_buffer=10_000,
      toy_pool_size=1_000_000,
      verify_images=True,  # image folders: decode-check every file before training
      # Text (source 'text', or 'tfds' with a text set such as lm1b): entries cut or padded to
      # seq_len characters (> 0 marks a text config); a vocabulary of at most max_vocab_size
      # symbols; 'line' entries or blocks between lines holding only `separator`.
      seq_len=0,
      max_vocab_size=2048,
      separator="line",
      max_examples=0,  # 0: every entry
      encoding="utf-8",  # text files: their encoding (a Python codec name, e.g. latin-1)
      # Hold the whole data set on every device and draw batches in-graph (data that fits in
      # device memory: toy sets, MNIST, CIFAR-10); False: a host tf.data pipeline.
      device_resident=False,
  ))


def model_defaults() -> ml_collections.ConfigDict:
  """`config.model`: the two networks, their arithmetic and the generator's input."""
  return ml_collections.ConfigDict(dict(
      generator=dict(kind="mlp", latent_dim=2, width=512, depth=3),
      critic=dict(kind="mlp", width=512, depth=3),
      # Strided / transposed convolutions: 'auto' picks 'patches' on CPU (same parameters and
      # results, far faster gradients there) and XLA's own convolutions on GPU and TPU.
      conv_lowering="auto",
      # The networks' arithmetic: "bfloat16" for mixed precision (parameters and optimizer
      # states stay float32).
      compute_dtype="float32",
      # The train step's float32 products where the backend has several precisions: on TPU
      # 'default' is one bfloat16 pass, 'high' three, 'highest' full float32; on NVIDIA GPUs
      # 'default' allows TF32. CPUs compute float32 at every setting.
      matmul_precision="default",
      # The generator's input distribution (`latent.LatentPrior`): noise 'normal' | 'uniform',
      # then InfoGAN's codes, a `categorical`-way one-hot code and `continuous` uniform codes,
      # the last inputs of the generator's `latent_dim`. Codes need a critic with
      # conditioning='info' (its Q head is sized from them).
      latent=dict(noise="normal", categorical=0, continuous=0),
  ))


def eval_defaults() -> ml_collections.ConfigDict:
  """`config.eval`: the metrics, their samples and how samples are drawn."""
  return ml_collections.ConfigDict(dict(
      every=0,  # 0: only at the end
      metrics=(),  # toy: 'w1', 'modes'; images: 'fid', 'kid', 'is'; MNIST: 'mnist'
      num_samples=1000,  # generated samples per evaluation
      num_reference=10_000,  # real images behind FID / KID (features cached)
      inception_weights="",  # converted FID Inception .npz; "" = the user cache
      batch_size=100,  # Inception batch (at most num_samples: a padded batch costs a full one)
      # BatchNorm when sampling (pictures, evaluation, python -m wgan_jax.sample): 'batch' normalises
      # each batch of `sample_batch` samples with its own statistics, as in training and as
      # both official codes sample; 'running' uses the averages kept in training.
      sample_statistics="batch",
      sample_batch=0,  # 0: the generator's global training batch
      # A labelled split (e.g. 'test') on which each evaluation scores the critic's classifier
      # head (AC-GAN, semi-supervised GAN): classifier_error and its worst class; "": none.
      classifier_split="",
  ))


# Settings kept whole: a saved network or optimizer spec is complete for its kind, and the
# defaults of another kind must not be merged into it.
WHOLE_SETTINGS = ("model.generator", "model.critic", "optimizer.generator", "optimizer.critic")


def with_new_defaults(saved: dict[str, Any]) -> ml_collections.ConfigDict:
  """A saved run's config with every option added since it was saved at its default
  (`base_config()`), so an older run still builds: its own values are all kept."""

  def merge(default: Any, value: Any, path: str) -> Any:
    if path in WHOLE_SETTINGS or not (isinstance(default, dict) and isinstance(value, dict)):
      return value
    return {**default, **{k: merge(default.get(k), v, f"{path}.{k}" if path else k)
                          for k, v in value.items()}}

  return ml_collections.ConfigDict(merge(base_config().to_dict(), saved, ""))


def finalize(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """Locks the config so unknown keys are rejected."""
  config.lock()
  return config
