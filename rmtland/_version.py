"""The version of rmtland (read by setup.cfg and by every result file)."""
__version__ = "0.1.0"
