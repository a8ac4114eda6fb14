"""`python -m flows.cli`: the `segment` command."""

from flows.cli import main

if __name__ == "__main__":
    main()
