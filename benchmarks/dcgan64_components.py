"""Where the WGAN DCGAN 64x64 step spends its time on CPU: forward and gradient of each network.

    python3 benchmarks/dcgan64_components.py     (JAX with both conv lowerings, then PyTorch)

Batch 64, BatchNorm in both networks (training mode), sum of outputs as the loss; medians of 5.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np


def _median_ms(fn, repeats=5):
  jax.block_until_ready(fn())
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    jax.block_until_ready(fn())
    times.append(time.perf_counter() - start)
  return 1e3 * float(np.median(times))


def main():
  from wgan_jax.models import create_models
  x, z = jnp.ones((64, 64, 64, 3)), jnp.ones((64, 100))
  for lowering in ("patches", "xla"):
    generator, critic = create_models(
        {"generator": dict(kind="dcgan", latent_dim=100, width=64),
         "critic": dict(kind="dcgan", width=64, normalization="batch"),
         "conv_lowering": lowering}, (64, 64, 3))
    c_vars = critic.init(jax.random.PRNGKey(0), x[:1], train=False)
    g_vars = generator.init(jax.random.PRNGKey(0), z[:1], train=False)
    c_fwd = jax.jit(lambda v, x: critic.apply(v, x, train=True, mutable=["batch_stats"])[0].sum())
    g_fwd = jax.jit(lambda v, z: generator.apply(v, z, train=True,
                                                 mutable=["batch_stats"])[0].sum())
    c_grad, g_grad = jax.jit(jax.grad(c_fwd)), jax.jit(jax.grad(g_fwd))
    print(f"jax {lowering:8s} critic fwd {_median_ms(lambda: c_fwd(c_vars, x)):.0f} ms, "
          f"grad {_median_ms(lambda: c_grad(c_vars, x)):.0f} ms | generator fwd "
          f"{_median_ms(lambda: g_fwd(g_vars, z)):.0f} ms, grad "
          f"{_median_ms(lambda: g_grad(g_vars, z)):.0f} ms", flush=True)

  import torch

  from wgan_jax.torch_peer import DCGANCritic, DCGANGenerator
  critic, generator = DCGANCritic(64, 3, 64), DCGANGenerator(100, 64, 3, 64)
  xt, zt = torch.ones(64, 3, 64, 64), torch.ones(64, 100)

  def c_grad():
    critic.zero_grad()
    critic(xt).sum().backward()

  def g_grad():
    generator.zero_grad()
    generator(zt).sum().backward()

  with torch.no_grad():
    c_fwd_ms, g_fwd_ms = _median_ms(lambda: critic(xt)), _median_ms(lambda: generator(zt))
  print(f"torch eager   critic fwd {c_fwd_ms:.0f} ms, grad {_median_ms(c_grad):.0f} ms | "
        f"generator fwd {g_fwd_ms:.0f} ms, grad {_median_ms(g_grad):.0f} ms")


if __name__ == "__main__":
  main()
