"""``python -m assay.mock_server``: the same as ``assay mock-server``."""

from assay.cli.mock_server import main

raise SystemExit(main())
