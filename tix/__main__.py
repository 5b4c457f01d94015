"""``python -m tix`` runs the command-line interface."""

from tix.cli.app import main

if __name__ == "__main__":
    main()
