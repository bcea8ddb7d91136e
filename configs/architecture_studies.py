"""The WGAN-GP paper's architecture studies (Section 5): one set of hyperparameters per method,
many architectures.

`architecture_studies:ARCH,METHOD,DATASET` (`configs/arguments.py`)
  ARCH     one of Fig. 2's seven (`FIG2_ARCHS`), or `random-N`: draw N (0, 1, ...) from Section
           5.1's distribution of random architectures (`random_architecture(N)`);
  METHOD   dcgan | lsgan | wgan | wgan-gp | wgan-gp-one-sided | sngan | r1 (`METHODS`);
  DATASET  lsun (Fig. 2's LSUN bedrooms at 64 px, the default), imagenet32 (Section 5.1's 32x32
           ImageNet) or mnist32 (MNIST at 32 px, the CPU-scale stand-in for both).

Each method keeps one recipe across every architecture, as the paper does (`use_method`):
  dcgan       the standard non-saturating GAN, Adam(2e-4, 0.5), one D step per G step;
  lsgan       least squares, TensorFlow 1's RMSProp(1e-4), one D step (`gan_64x64.py`);
  wgan        weight clipping at 0.01, TensorFlow 1's RMSProp(5e-5), 5 critic steps;
  wgan-gp     the two-sided penalty, lambda = 10, Adam(1e-4, beta1, 0.9), 5 critic steps; the
              critic's BatchNorm becomes LayerNorm. beta1 = 0 on LSUN (`gan_64x64.py`, the
              code of Fig. 2) and 0.5 at 32 px (`gan_cifar.py`, `gan_mnist.py`);
  wgan-gp-one-sided  the same with the one-sided penalty max(0, ||grad|| - 1)^2;
  sngan       spectral normalization and the hinge loss, Adam(2e-4, 0.5, 0.999), one D step (the
              SN-GAN paper's Table 1 setting C); a BatchNorm critic loses its BatchNorm;
  r1          the non-saturating loss with R1 (gamma = 10), PyTorch's RMSProp(1e-4), one D step
              (Mescheder et al. 2018, their code's default); BatchNorm becomes LayerNorm.
The last two are this library's extension of the study, beyond the paper's five.

The random architectures take the recipe of the paper's Appendix B instead
(`use_random_architecture_recipe`): WGAN-GP's Adam has beta1 = 0 on every data set, and a
critic with batch or layer normalization gets a weight decay of 1e-3 under either method.

The architectures are the `gan_64x64.py` DCGAN family (5x5 filters, `gp_dcgan`), its 4-layer
512-unit MLP generator and its 101-layer bottleneck ResNet (`deep_resnet`).
"""

from __future__ import annotations

import dataclasses
import random

from wgan_jax.config import (adam, base_config, finalize, rmsprop, tf1_rmsprop, use_standard_gan,
                             use_weight_clipping)
from wgan_jax.configs import arguments
from wgan_jax.errors import ConfigError

# The WGAN-GP paper's methods, then two that came after it (`wgan_jax.paper.wgangp_fig2_newer`).
PAPER_METHODS = ("dcgan", "lsgan", "wgan", "wgan-gp", "wgan-gp-one-sided")
NEWER_METHODS = ("sngan", "r1")
METHODS = PAPER_METHODS + NEWER_METHODS

# Fig. 2, top to bottom.
FIG2_ARCHS = ("dcgan", "nobn_constant_g", "mlp_g", "no_norm", "gated", "tanh", "resnet101")
FIG2_TITLES = {
    "dcgan": "DCGAN",
    "nobn_constant_g": "no BN, constant filters in G",
    "mlp_g": "4-layer 512-unit ReLU MLP G",
    "no_norm": "no normalization in G or D",
    "gated": "gated multiplicative nonlinearities",
    "tanh": "tanh nonlinearities",
    "resnet101": "101-layer ResNet G and D",
}

DATASETS = {
    "lsun": dict(source="tfds", name="lsun/bedroom", image_size=64, channels=3, resize=True),
    "imagenet32": dict(source="tfds", name="downsampled_imagenet/32x32", image_size=32,
                       channels=3),
    "mnist32": dict(source="tfds", name="mnist", image_size=32, channels=1, resize=True),
}

# Section 5.1's distribution of architectures.
NONLINEARITIES = ("relu", "leaky_relu", "softplus", "tanh")
DEPTHS = (4, 8, 12, 20)
FILTERS = (32, 64, 128)
BASE_LAYERS = 4  # the 32 px DCGAN: 4 weight layers in G and in D


@dataclasses.dataclass(frozen=True)
class RandomArchitecture:
  """One draw of Section 5.1's distribution: per network a nonlinearity, a depth, batch
  normalization or not, and a base filter count."""

  g_activation: str
  d_activation: str
  g_depth: int
  d_depth: int
  g_batchnorm: bool
  d_batchnorm: bool  # LayerNorm under the penalty
  g_filters: int
  d_filters: int


def random_architecture(index: int, seed: int = 0) -> RandomArchitecture:
  """The `index`-th architecture of the study (uniform draws; the same for every method)."""
  rng = random.Random(f"{seed}:{index}")
  return RandomArchitecture(
      g_activation=rng.choice(NONLINEARITIES), d_activation=rng.choice(NONLINEARITIES),
      g_depth=rng.choice(DEPTHS), d_depth=rng.choice(DEPTHS),
      g_batchnorm=rng.choice((True, False)), d_batchnorm=rng.choice((True, False)),
      g_filters=rng.choice(FILTERS), d_filters=rng.choice(FILTERS))


def random_models(arch: RandomArchitecture, filter_scale: float = 1.0) -> dict:
  """The `gp_dcgan` pair of a random architecture; `filter_scale` shrinks both filter counts."""
  scale = lambda filters: max(1, round(filters * filter_scale))  # noqa: E731
  return dict(
      generator=dict(kind="gp_dcgan", latent_dim=128, width=scale(arch.g_filters),
                     activation=arch.g_activation, n_extra_layers=arch.g_depth - BASE_LAYERS,
                     normalization="batch" if arch.g_batchnorm else "none"),
      critic=dict(kind="gp_dcgan", width=scale(arch.d_filters), activation=arch.d_activation,
                  n_extra_layers=arch.d_depth - BASE_LAYERS,
                  normalization="batch" if arch.d_batchnorm else "none"))


def fig2_models(arch: str, width: int = 64) -> dict:
  """Fig. 2's generator and critic for `arch` (`gan_64x64.py`'s GeneratorAndDiscriminator)."""
  dcgan_g = dict(kind="gp_dcgan", latent_dim=128, width=width, normalization="batch")
  dcgan_d = dict(kind="gp_dcgan", width=width, normalization="batch")
  if arch == "dcgan":
    return dict(generator=dcgan_g, critic=dcgan_d)
  if arch == "nobn_constant_g":
    return dict(generator={**dcgan_g, "normalization": "none", "constant_width": True},
                critic=dcgan_d)
  if arch == "mlp_g":
    return dict(generator=dict(kind="mlp", latent_dim=128, width=512, depth=4,
                               output_activation="tanh"), critic=dcgan_d)
  if arch == "no_norm":
    return dict(generator={**dcgan_g, "normalization": "none"},
                critic={**dcgan_d, "normalization": "none"})
  if arch == "gated":
    return dict(generator={**dcgan_g, "activation": "gated"},
                critic={**dcgan_d, "activation": "gated"})
  if arch == "tanh":
    return dict(generator={**dcgan_g, "activation": "tanh"},
                critic={**dcgan_d, "activation": "tanh"})
  if arch == "resnet101":
    return dict(generator=dict(kind="deep_resnet", latent_dim=128, width=width, depth=101),
                critic=dict(kind="deep_resnet", width=width, depth=101, normalization="batch"))
  raise ConfigError(f"arch {arch!r}: choose one of {', '.join(FIG2_ARCHS)} or random-N.")


def use_method(c, method: str, penalty_adam_b1: float = 0.5) -> None:
  """The method's objective, constraint, optimizers and critic steps, the same for every
  architecture; under a penalty the critic's BatchNorm becomes LayerNorm, and under spectral
  normalization it is removed."""
  if method == "dcgan":
    use_standard_gan(c)
  elif method == "lsgan":
    use_standard_gan(c)
    c.objective = "lsgan"
    c.optimizer.generator = c.optimizer.critic = tf1_rmsprop(1e-4)
  elif method == "wgan":
    use_weight_clipping(c, 5e-5, 0.01, optimizer=tf1_rmsprop)
    c.n_critic = 5
  elif method in ("wgan-gp", "wgan-gp-one-sided"):
    _use_recipe(c, "wasserstein", "penalty", adam(1e-4, penalty_adam_b1, 0.9), 5, "layer")
    c.constraint.weight = 10.0
    c.constraint.one_sided = method == "wgan-gp-one-sided"
  elif method == "sngan":
    # SN-GAN's recipe (Miyato et al. 2018, Table 1 setting C). Its critics have no
    # normalization layer, whose per-batch rescaling would undo the weights' bound.
    _use_recipe(c, "hinge", "spectral", adam(2e-4, 0.5, 0.999), 1, "none")
  elif method == "r1":
    # Mescheder et al. 2018's recipe (their code's default config): gamma = 10, RMSProp(1e-4).
    _use_recipe(c, "gan", "r1", rmsprop(1e-4), 1, "layer")
    c.constraint.weight = 10.0
  else:
    arguments.check_method(method, METHODS)


def _use_recipe(c, objective: str, constraint: str, optimizer: dict, n_critic: int,
                instead_of_batchnorm: str) -> None:
  """One optimizer for both networks, the objective and constraint, and the critic's
  BatchNorm replaced (a penalty or spectral normalization cannot have it)."""
  c.objective = objective
  c.constraint.kind = constraint
  c.optimizer.generator = c.optimizer.critic = optimizer
  c.n_critic = n_critic
  if c.model.critic.get("normalization") == "batch":
    c.model.critic.normalization = instead_of_batchnorm


# Appendix B: "if we use batch normalization (or layer normalization) we also apply a small
# weight decay" to the discriminator.
NORMALIZED_CRITIC_WEIGHT_DECAY = 1e-3


def use_random_architecture_recipe(c, method: str) -> None:
  """The paper's Appendix B recipe for the random architectures: `use_method` with beta1 = 0
  for WGAN-GP, plus the weight decay on a normalized critic (either method)."""
  use_method(c, method, penalty_adam_b1=0.0)
  if c.model.critic.get("normalization", "none") != "none":
    c.optimizer.critic.weight_decay = NORMALIZED_CRITIC_WEIGHT_DECAY


def get_config(arg: str = ""):
  args = arguments.parse(arg, arch="dcgan", method="wgan-gp", dataset="lsun")
  arch, method = args.arch, arguments.check_method(args.method, METHODS)
  dataset = arguments.check_choice("dataset", args.dataset, DATASETS)
  c = base_config()
  c.data.update(DATASETS[dataset])
  random_draw = arch.startswith("random-")
  if random_draw:
    models = random_models(random_architecture(int(arch.split("-", 1)[1])))
  else:
    models = fig2_models(arch)
  c.model.generator, c.model.critic = models["generator"], models["critic"]
  if random_draw:
    use_random_architecture_recipe(c, method)
  else:
    use_method(c, method, penalty_adam_b1=0.0 if dataset == "lsun" else 0.5)
  c.batch_size = 64
  c.num_steps = 200_000 if dataset == "lsun" else 100_000
  return finalize(c)
