"""`python scripts/convert_fid_inception.py ...` is `python -m wgan_jax.convert_fid_inception ...` (--help)."""

from wgan_jax.commands import convert_fid_inception

if __name__ == "__main__":
  convert_fid_inception.run()
