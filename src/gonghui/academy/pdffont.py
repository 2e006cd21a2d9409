"""Moved to ``gonghui.core.pdffont`` (the CJK font of every PDF). This old name is the same
module object, so that code and tests importing ``gonghui.academy.pdffont`` (and patching its
``DEFAULT_PATHS``) keep working."""

import sys

from gonghui.core import pdffont

sys.modules[__name__] = pdffont
