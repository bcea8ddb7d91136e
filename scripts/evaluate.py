"""`python scripts/evaluate.py ...` is `python -m wgan_jax.evaluate ...`: the same flags (--help)."""

from wgan_jax.commands import evaluate

if __name__ == "__main__":
  evaluate.run()
