"""Pages that compose the domain apps (the top layer): the public compound page, which
reads communities (who runs the compound, its duties) and escrow (its money), and the
demo command that seeds every app. Nothing below imports this package."""
