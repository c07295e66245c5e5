#!/usr/bin/env python
"""The example site's manage.py; run it from the repository root or from here."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # Make `example_site` (and, in a checkout, `wagtail_pmolib`) importable
    # whichever folder this is run from.
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    sys.path.insert(1, str(here.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
