"""``python -m artificial_needles.cli``: the same as the ``artificial-needles`` command."""

import sys

from artificial_needles.cli.main import main

sys.exit(main())
