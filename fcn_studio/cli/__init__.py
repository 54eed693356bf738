"""``fcn-studio``: the command line (main), its argument types (args) and terminal progress bar."""
