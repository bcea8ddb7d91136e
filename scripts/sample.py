"""`python scripts/sample.py ...` is `python -m wgan_jax.sample ...`: the same flags (--help)."""

from wgan_jax.commands import sample

if __name__ == "__main__":
  sample.run()
