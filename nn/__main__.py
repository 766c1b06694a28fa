"""``python -m nn``: the same as the ``glassgrad`` command."""

from nn.cli import main

raise SystemExit(main())
