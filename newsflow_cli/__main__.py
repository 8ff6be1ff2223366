"""`python -m newsflow_cli`: the `newsflow` command, without the console script."""

from newsflow_cli.main import main

main()
