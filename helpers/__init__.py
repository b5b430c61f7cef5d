"""Tested helpers for the course book *Generative Deep Learning with Keras*.

Notebooks import the modules they need: ``from helpers import config, data, plots, report``.
"""

__version__ = "0.1.0"
