"""`python scripts/reproduce.py ...` is `python -m wgan_jax.reproduce ...`: the same flags (--help)."""

from wgan_jax.commands import reproduce

if __name__ == "__main__":
  reproduce.run()
