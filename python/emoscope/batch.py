"""`python3 -m emoscope.batch INPUTS... --out DIR --scheduler tcp://HOST:PORT`: see emoscope._batch.

The package's ``emoscope.batch`` is the function (emoscope._batch.batch);
this module only makes the command line, which `emoscope batch --scheduler`
runs with its own arguments.
"""
import sys

from emoscope._batch import main

if __name__ == "__main__":
    sys.exit(main())
