"""A user's own convolutional critic under the gradient penalty on CPU: flax's `nn.Conv` against
the library's `wgan_jax.models.conv.Conv` (same parameters), side by side.

    python3 benchmarks/own_critic_conv.py [--rounds 3] [--steps 2] >> docs/benchmarks/own_critic_conv.jsonl

The critic is a plain DCGAN-style one a JAX developer would write (three 4x4 stride-2
convolutions, leaky ReLU, a dense score); the generator is a dense layer, so the critic's
convolutions are what differs. Each round times `--steps` fused WGAN-GP generator iterations
(5 critic updates with the per-example penalty) for each implementation in turn; the medians
and their ratio are printed as one JSON line.
"""

import argparse
import json
import os
import platform
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from wgan_jax.lipschitz import GradientPenalty
from wgan_jax.losses import Losses
from wgan_jax.models import conv
from wgan_jax.state import init_state
from wgan_jax.step import make_train_step

SHAPE = (32, 32, 3)


class Generator(nn.Module):
  latent_dim: int = 64

  @nn.compact
  def __call__(self, z, labels=None, train=True):
    return jnp.tanh(nn.Dense(int(np.prod(SHAPE)))(z)).reshape((-1,) + SHAPE)


class Critic(nn.Module):
  conv: type = nn.Conv  # flax's, or the library's Conv with the same parameters

  @nn.compact
  def __call__(self, x, labels=None, train=True):
    for features in (64, 128, 256):
      x = nn.leaky_relu(self.conv(features, (4, 4), strides=(2, 2), padding="SAME")(x), 0.2)
    return nn.Dense(1)(x.reshape((x.shape[0], -1)))[:, 0]


def timed_step(critic_conv, batch: int, n_critic: int = 5):
  generator, critic = Generator(), Critic(conv=critic_conv)
  adam = optax.adam(1e-4, b1=0.5, b2=0.9)
  state = init_state(generator, critic, adam, adam, jax.random.PRNGKey(0),
                     jnp.zeros((1,) + SHAPE))
  step = jax.jit(make_train_step(generator, critic, adam, adam, Losses(constraint=GradientPenalty(10.0)),
                                 critic_iterations=n_critic), donate_argnums=0)
  real = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (n_critic, batch) + SHAPE),
                     jnp.float32)
  holder = {"state": state}

  def run(steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
      holder["state"], _ = step(holder["state"], real)
    jax.block_until_ready(holder["state"])
    return steps / (time.perf_counter() - start)

  run(1)  # compiles
  return run


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--steps", type=int, default=2)
  parser.add_argument("--batch", type=int, default=64)
  args = parser.parse_args()
  contenders = {"flax nn.Conv": timed_step(nn.Conv, args.batch),
                "wgan_jax Conv": timed_step(conv.Conv, args.batch)}
  rates = {name: [] for name in contenders}
  for _ in range(args.rounds):  # alternating, so drift in machine speed hits both
    for name, run in contenders.items():
      rates[name].append(run(args.steps))
  medians = {name: float(np.median(r)) for name, r in rates.items()}
  device = jax.devices()[0]
  print(json.dumps({
      "device_kind": device.device_kind, "platform": device.platform, "host": platform.node(),
      "cores": os.cpu_count(),
      "jax_version": jax.__version__, "batch": args.batch, "n_critic": 5,
      "gen_iters_per_sec": medians, "rounds": {k: [round(x, 4) for x in v] for k, v in
                                               rates.items()},
      "speedup": medians["wgan_jax Conv"] / medians["flax nn.Conv"]}))


if __name__ == "__main__":
  main()
