"""``python -m mutation [--only ID ...] [--all-tests] [--list]`` (see ``make mutation``)."""

from .runner import main

raise SystemExit(main())
