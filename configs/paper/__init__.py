"""The papers' figures and tables as configs: `toy_figures.py` (low-dimensional figures) and
`training_figures.py` (figures and tables made of training runs). `scripts/reproduce.py` draws them."""
