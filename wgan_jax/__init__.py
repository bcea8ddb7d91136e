"""wgan_jax: Wasserstein GANs (WGAN, WGAN-GP) and their baselines in JAX/Flax."""

from wgan_jax.lipschitz import (Constraint, GradientPenalty, NoConstraint, WeightClipping,
                                 ZeroCentredPenalty)
from wgan_jax.losses import Losses
from wgan_jax.state import GANState, init_state
from wgan_jax.step import TrainStep, generate, make_train_step

__version__ = "0.1.0"

__all__ = [
    "Constraint", "GANState", "GradientPenalty", "Losses", "NoConstraint", "TrainStep",
    "WeightClipping", "ZeroCentredPenalty",
    "generate",
    "init_state", "make_train_step",
]
