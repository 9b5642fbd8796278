"""spark-operator's mainApplicationFile: run the streaming writer (python -m questlog_stream.main)."""

import sys

from questlog_stream.main import main

if __name__ == "__main__":
    sys.exit(main())
