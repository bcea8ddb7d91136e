"""`python scripts/export_member.py ...` is `python -m wgan_jax.export_member ...`: the same flags (--help)."""

from wgan_jax.commands import export_member

if __name__ == "__main__":
  export_member.run()
