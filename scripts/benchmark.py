"""`python scripts/benchmark.py ...` is `python -m wgan_jax.benchmark ...`: the same flags (--help)."""

from wgan_jax.commands import benchmark

if __name__ == "__main__":
  benchmark.run()
