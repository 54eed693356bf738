import sys

from fcn_studio.cli.main import main

if __name__ == "__main__":  # not when a spawned child (a training process) re-imports it
    sys.exit(main())
