"""`python scripts/preflight.py ...` is `python -m wgan_jax.preflight ...`: the same flags (--help)."""

from wgan_jax.commands import preflight

if __name__ == "__main__":
  preflight.run()
