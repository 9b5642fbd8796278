"""python -m questlog_report: write the report (see questlog_report.cli)."""

import sys

from questlog_report.cli import main

sys.exit(main())
