"""A stride-1 3x3 convolution's gradients inside a `lax.fori_loop` against the same work unrolled.

    python3 benchmarks/conv_in_loop.py      (the CIFAR-10 ResNet's layer shape; about a minute)

The fused train step runs its critic updates in a `fori_loop` (an XLA while loop). On CPU,
XLA's own convolution gradients inside a while loop leave the fast path (jax-ml/jax#12868);
the 'patches' lowering (`wgan_jax.models.conv`) does not. Each cell: 5 evaluations of the
function, in a loop or unrolled, median of 5 runs.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from wgan_jax.models.conv import Conv

REPEATS_IN_PROGRAM = 5


def _median_ms(fn, *args, repeats=5):
  jax.block_until_ready(fn(*args))
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    times.append(time.perf_counter() - start)
  return 1e3 * float(np.median(times))


def _functions(layer):
  """Scalar functions of (variables, x) whose cost is one convolution's forward or gradient."""
  output = lambda v, x: jnp.sum(jnp.sin(layer.apply(v, x)))  # noqa: E731
  input_gradient = jax.grad(output, argnums=1)
  return {
      "forward": output,
      "kernel gradient": lambda v, x: sum(jnp.sum(g) for g in jax.tree_util.tree_leaves(
          jax.grad(output)(v, x))),
      "input gradient": lambda v, x: jnp.sum(input_gradient(v, x)),
      # What the gradient penalty does: the kernel gradient of an input-gradient norm.
      "penalty kernel gradient": lambda v, x: sum(jnp.sum(g) for g in jax.tree_util.tree_leaves(
          jax.grad(lambda v, x: jnp.sum(input_gradient(v, x) ** 2))(v, x))),
  }


def main(batch=64, size=32, channels=32):
  x = jax.random.normal(jax.random.PRNGKey(0), (batch, size, size, channels))
  print(f"3x3 stride-1 convolution, input {x.shape}, {REPEATS_IN_PROGRAM} evaluations per program; "
        f"{jax.devices()[0].device_kind}, jax {jax.__version__}")
  print("| lowering | function | unrolled (ms) | fori_loop (ms) | loop / unrolled |")
  print("| --- | --- | --- | --- | --- |")
  for lowering in ("xla", "patches"):
    layer = Conv(channels, (3, 3), padding="SAME", lowering=lowering)
    variables = layer.init(jax.random.PRNGKey(1), x[:1])
    for name, fn in _functions(layer).items():
      unrolled = jax.jit(lambda v, x, fn=fn: sum(fn(v, x + i) for i in range(REPEATS_IN_PROGRAM)))
      looped = jax.jit(lambda v, x, fn=fn: lax.fori_loop(
          0, REPEATS_IN_PROGRAM, lambda i, total: total + fn(v, x + i), 0.0))
      unrolled_ms, looped_ms = _median_ms(unrolled, variables, x), _median_ms(looped, variables, x)
      print(f"| {lowering} | {name} | {unrolled_ms:.1f} | {looped_ms:.1f} | "
            f"{looped_ms / unrolled_ms:.1f}x |", flush=True)


if __name__ == "__main__":
  main()
