"""Write the results-schema page (``docs/guide/results_schema.rst``) from
:mod:`rmtland.experiments.schema`, so that the page and the JSON the tests check agree.

Run ``python docs/_schemagen.py`` after changing the schema (``tests/test_schema.py`` fails
while the page and the schema differ); ``write()`` is also meant to be called from
``docs/conf.py`` at build time, as ``_apigen.write`` is.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = os.path.join(HERE, "guide", "results_schema.rst")


def write(path=PAGE):
    """Write the page to ``path`` when its text changed; returns the path."""
    sys.path.insert(0, os.path.dirname(HERE))
    from rmtland.experiments.schema import rst
    text = rst()
    old = open(path).read() if os.path.exists(path) else None
    if text != old:
        with open(path, "w") as fh:
            fh.write(text)
    return path


if __name__ == "__main__":
    print(write())
