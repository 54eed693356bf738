import sys

from fcn_studio.cli import main

sys.exit(main())
