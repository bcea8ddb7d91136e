"""`python scripts/train.py ...` is `python -m wgan_jax.train ...`: the same flags (--help)."""

from wgan_jax.commands import train

if __name__ == "__main__":
  train.run()
