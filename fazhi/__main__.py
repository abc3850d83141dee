"""``python -m fazhi``: the ``fazhi`` command without its console script."""

from fazhi.cli import main

if __name__ == "__main__":
    main(prog_name="fazhi")
