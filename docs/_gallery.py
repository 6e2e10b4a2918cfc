"""sphinx-gallery hooks for ``simulations/``: each script runs at smoke size into its own
output directory, and the figures it saves there are the example's images.

The figure scripts draw on :class:`matplotlib.figure.Figure` objects that they save and drop
(:func:`rmtland.experiments.run_figure`), so pyplot's scraper sees none; :func:`scrape_outputs`
collects the PNG files instead.
"""
import os
import shutil

#: where the gallery's runs write (inside the build tree, removed with it)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_build", "gallery-runs")


def out_dir(src_file):
    return os.path.join(OUT, os.path.splitext(os.path.basename(src_file))[0])


def reset_argv(gallery_conf, script_vars):
    """``sys.argv[1:]`` of each script: smoke sizes, its own (emptied) output directory."""
    shutil.rmtree(out_dir(script_vars["src_file"]), ignore_errors=True)
    return ["--smoke", "--out", out_dir(script_vars["src_file"])]


def hide_build_paths(app, docname, source):
    """Sphinx ``source-read``: in a gallery page, the paths the script printed name the build
    machine's output directory; show them as ``OUT/...`` (the ``--out`` of the run)."""
    if docname.startswith("auto_examples/"):
        source[0] = source[0].replace(OUT + os.sep, "OUT" + os.sep)


def scrape_outputs(block, block_vars, gallery_conf):
    """Copy the PNGs the script wrote into the gallery's image paths; returns their reST."""
    from sphinx_gallery.scrapers import figure_rst
    directory = out_dir(block_vars["src_file"])
    seen = block_vars.setdefault("rmtland_seen", set())
    pngs = sorted(p for p in os.listdir(directory) if p.endswith(".png")) \
        if os.path.isdir(directory) else []
    images = []
    for name, target in zip([p for p in pngs if p not in seen],
                            block_vars["image_path_iterator"]):
        shutil.copyfile(os.path.join(directory, name), target)
        seen.add(name)
        images.append(target)
    return figure_rst(images, gallery_conf["src_dir"])
