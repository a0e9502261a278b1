"""Sphinx configuration for the skgan documentation.

Build with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery examples in ``../examples`` are rendered without being run, so the
build takes seconds. Set ``SKGAN_DOCS_RUN_EXAMPLES=1`` to execute them and
include their figures and output.
"""

import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# Document the working tree even when skgan is not installed.
sys.path.insert(0, str(ROOT))

import skgan  # noqa: E402

# -- Project -----------------------------------------------------------------

project = "skgan"
author = "The skgan developers"
copyright = "The skgan developers. BSD-3-Clause licence"
release = skgan.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"
# No network access at build time: no intersphinx.

# -- autodoc / autosummary / numpydoc ----------------------------------------

autosummary_generate = True  # stub pages go to docs/generated/ (gitignored)
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True


# Labels of scikit-learn's own documentation that inherited docstrings use
# (get_metadata_routing, set_output). Without intersphinx they become plain
# web links.
_SET_OUTPUT_EXAMPLE = (
    "https://scikit-learn.org/stable/auto_examples/miscellaneous/plot_set_output.html"
)
_SKLEARN_LABELS = {
    "metadata_routing": "https://scikit-learn.org/stable/metadata_routing.html",
    "df_output_transform": "https://scikit-learn.org/stable/user_guide.html",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py": _SET_OUTPUT_EXAMPLE,
}
# :ref:`text <label>` or :ref:`label`.
_SKLEARN_REF = re.compile(r":ref:`(?:([^`<]*?)\s*<([\w.]+)>|([\w.]+))`")


def _link_sklearn_labels(app, what, name, obj, options, lines):
    def replace(match):
        text, label = match.group(1), match.group(2) or match.group(3)
        url = _SKLEARN_LABELS.get(label)
        if url is None:
            return match.group(0)
        return f"`{text or 'this example'} <{url}>`__"

    for i, line in enumerate(lines):
        lines[i] = _SKLEARN_REF.sub(replace, line)


def setup(app):
    app.connect("autodoc-process-docstring", _link_sklearn_labels)


# -- sphinx-gallery ----------------------------------------------------------

RUN_EXAMPLES = os.environ.get("SKGAN_DOCS_RUN_EXAMPLES", "0") == "1"
EXAMPLES = ROOT / "examples"
GALLERY = DOCS / "auto_examples"
_HEADERS = ("GALLERY_HEADER", "README", "readme")
_HAS_HEADER = any((EXAMPLES / f"{name}.{ext}").is_file()
                  for name in _HEADERS for ext in ("txt", "rst"))

sphinx_gallery_conf = {
    "examples_dirs": [str(EXAMPLES)],
    "gallery_dirs": [str(GALLERY)],
    "filename_pattern": r"/plot_",
    "plot_gallery": RUN_EXAMPLES,
    "doc_module": ("skgan",),
    "backreferences_dir": str(DOCS / "generated" / "backreferences"),
    "reference_url": {"skgan": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
}

if not _HAS_HEADER:
    # sphinx-gallery refuses a gallery directory without a header file. Until
    # examples/ has one (GALLERY_HEADER.rst or README.txt), skip the gallery
    # and write a stand-in page so that the toctree entry still resolves.
    extensions.remove("sphinx_gallery.gen_gallery")
    GALLERY.mkdir(exist_ok=True)
    (GALLERY / "index.rst").write_text(
        "Examples\n========\n\n"
        "The example gallery is built from the ``plot_*.py`` scripts in the\n"
        "``examples/`` directory of the repository once that directory has a\n"
        "``GALLERY_HEADER.rst`` (or ``README.txt``) introducing it.\n",
        encoding="utf-8",
    )

# -- HTML --------------------------------------------------------------------

try:  # optional: pip install pydata-sphinx-theme
    import pydata_sphinx_theme  # noqa: F401

    html_theme = "pydata_sphinx_theme"
    html_theme_options = {"navigation_with_keys": False}
except ImportError:
    html_theme = "alabaster"
    html_theme_options = {
        "description": "GANs for tabular data as scikit-learn estimators",
        "fixed_sidebar": True,
    }
html_title = f"skgan {release}"
html_static_path = []
html_show_sourcelink = False
